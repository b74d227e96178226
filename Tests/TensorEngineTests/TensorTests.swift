// Tensor construction, views, shapes and their error messages, the buffer pool and the RNG.
import XCTest
import TensorEngine

final class TensorTests: XCTestCase {
    func testConstructionAndViews() {
        let t = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        XCTAssertEqual(t.rank, 2)
        XCTAssertEqual(t.count, 6)
        let v = t.view([3, -1])
        XCTAssertEqual(v.shape, [3, 2])
        v.data[0] = 10   // a view shares storage
        XCTAssertEqual(t.scalars[0], 10)
        XCTAssertEqual(Tensor(scalar: 2.5).item(), 2.5)
        XCTAssertEqual(Tensor.zeros([2, 0]).count, 0)
        XCTAssertEqual(Tensor(ints: [3, 1], shape: [2]).intScalars, [3, 1])
        XCTAssertEqual(t.copy().scalars, t.scalars)
    }

    func testShapeErrorsNameTheOpAndBothShapes() {
        XCTAssertThrowsError(try Shape.broadcast([2, 3], [4, 3], op: "add")) { error in
            XCTAssertEqual("\(error)", "add: shapes [2, 3] and [4, 3] cannot be broadcast together")
        }
        XCTAssertThrowsError(try Shape.reshape([2, 3], to: [4, -1])) { error in
            XCTAssertTrue("\(error)".contains("[2, 3]") && "\(error)".contains("[4, -1]"), "\(error)")
        }
        XCTAssertThrowsError(try Shape.axis(3, rank: 2, op: "softmax")) { error in
            XCTAssertEqual("\(error)", "softmax: axis 3 is out of range for rank 2")
        }
        XCTAssertEqual(try Shape.broadcast([2, 1, 4], [3, 1], op: "mul"), [2, 3, 4])
        XCTAssertEqual(try Shape.broadcast([], [5], op: "mul"), [5])
    }

    func testBufferPoolReusesLargeBuffers() {
        let bytes = 1 << 20
        var first: UnsafeMutableRawPointer?
        do { let s = Storage(byteCount: bytes); first = s.pointer }
        let again = Storage(byteCount: bytes)
        XCTAssertEqual(again.pointer, first, "a freed large buffer is handed out again")
        XCTAssertEqual(Int(bitPattern: again.pointer) % 64, 0)
    }

    func testBufferPoolServesASmallerRequestFromALargerClassButNotAMuchLargerOne() {
        BufferPool.shared.trim()  // no buffers left over from other tests in these classes
        let big = 3 << 20 + 4096
        var freed: UnsafeMutableRawPointer?
        do { let s = Storage(byteCount: big); freed = s.pointer }
        let slightlySmaller = Storage(byteCount: big * 4 / 5)
        XCTAssertEqual(slightlySmaller.pointer, freed, "one size class down reuses the buffer")
        withExtendedLifetime(slightlySmaller) {}
        var again: UnsafeMutableRawPointer?
        do { let s = Storage(byteCount: big); again = s.pointer }
        let quarter = Storage(byteCount: big / 4)
        XCTAssertNotEqual(quarter.pointer, again, "a buffer four times too big is not handed out")
        XCTAssertEqual(Storage(byteCount: big).pointer, again)
    }

    func testRandomGeneratorIsReproducibleAndSavesState() throws {
        var a = RandomGenerator(seed: 1)
        _ = a.next(); _ = a.nextNormal()
        let saved = try JSONEncoder().encode(a)
        var b = try JSONDecoder().decode(RandomGenerator.self, from: saved)
        XCTAssertEqual(a.next(), b.next())
        var c = RandomGenerator(seed: 2)
        var mean: Float = 0, sq: Float = 0
        for _ in 0..<20000 { let x = c.nextNormal(); mean += x; sq += x * x }
        XCTAssertEqual(mean / 20000, 0, accuracy: 0.03)
        XCTAssertEqual(sq / 20000, 1, accuracy: 0.05)
    }
}

import Foundation
