// Float32 tensors that view a mapped file in place: no copy, values checked, writes kept
// private to the process, the mapping kept alive by the tensors; and the copies made where
// viewing in place is not possible.
import Checkpoints
import Foundation
import XCTest

final class MappedTensorTests: XCTestCase {
    private func write(_ tensors: [SafetensorsTensor]) throws -> String {
        let path = try TestFiles.temporaryDirectory(for: self) + "/w.safetensors"
        try SafetensorsWriter.write(tensors, to: path)
        return path
    }

    func testAlignedF32TensorsViewTheFile() throws {
        let path = try write([
            SafetensorsTensor(name: "a", shape: [2, 2], floats: [1, 2, 3, 4]),
            SafetensorsTensor(name: "b", shape: [3], floats: [5, 6, 7]),
        ])
        let file = try SafetensorsFile(path: path)
        let (a, b) = (try file.tensor("a"), try file.tensor("b"))
        let distance = b.storage.pointer - a.storage.pointer
        XCTAssertEqual(distance, try file.entry("b").byteRange.lowerBound - file.entry("a").byteRange.lowerBound,
                       "both view one mapping, as far apart as in the file")
        XCTAssertEqual(a.scalars, [1, 2, 3, 4])
        XCTAssertEqual(b.scalars, [5, 6, 7])
    }

    func testWritesStayInTheProcessAndTensorsOutliveTheFile() throws {
        let path = try write([SafetensorsTensor(name: "w", shape: [4], floats: [1, 2, 3, 4])])
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let tensor = try SafetensorsFile(path: path).tensor("w")  // the file value is gone after this line
        tensor.data[0] = 42
        tensor.markModified()
        XCTAssertEqual(tensor.scalars, [42, 2, 3, 4])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "copy-on-write: the file is unchanged")
        XCTAssertEqual(try SafetensorsFile(path: path).tensor("w").scalars, [1, 2, 3, 4])
    }

    func testUnalignedF32IsCopied() throws {
        // A U8 byte first puts the F32 tensor at an odd offset (Python's writer never does; the format allows it).
        let header = #"{"u":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}}"#
        var bytes = TestFiles.file(header: header, dataLength: 9)
        let start = bytes.count - 9
        bytes[start] = 7
        bytes.replaceSubrange(start + 1..<start + 9, with: [Float(1.5), -2].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        let path = try TestFiles.temporaryDirectory(for: self) + "/odd.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let tensor = try SafetensorsFile(path: path).tensor("w")
        XCTAssertEqual(tensor.scalars, [1.5, -2])
        XCTAssertEqual(Int(bitPattern: tensor.storage.pointer) % 16, 0, "a fresh buffer, not the odd offset")
    }

    /// NaN and infinity are found wherever they are: in a 16-lane block, across blocks, in the tail.
    func testNonFiniteValuesAreFoundAtEveryPosition() throws {
        for count in [1, 15, 16, 17, 33, 40] {
            for position in Set([0, count / 2, count - 1]) {
                for bad in [Float.nan, .infinity, -.infinity, Float(bitPattern: 0x7F80_0001)] {
                    var values = (0..<count).map { Float($0) - 3.5 }
                    values[position] = bad
                    let f32 = try SafetensorsFile(bytes: SafetensorsWriter.serialize([SafetensorsTensor(name: "w", shape: [count], floats: values)]))
                    assertCheckpointError(try f32.tensor("w"), mentions: ["'w'", "element \(position) is"]) {
                        if case .nonFiniteValue(_, "w", position, _) = $0 { true } else { false }
                    }
                    let bf16 = try SafetensorsFile(bytes: SafetensorsWriter.serialize(
                        [SafetensorsTensor(name: "w", shape: [count], floats: values, format: .bf16)]))
                    assertCheckpointError(try bf16.tensor("w"), mentions: ["element \(position) is"]) {
                        if case .nonFiniteValue(_, "w", position, _) = $0 { true } else { false }
                    }
                }
            }
            let finite = (0..<count).map { i in i % 2 == 0 ? Float.greatestFiniteMagnitude : -Float.leastNonzeroMagnitude }
            let file = try SafetensorsFile(bytes: SafetensorsWriter.serialize([SafetensorsTensor(name: "w", shape: [count], floats: finite)]))
            XCTAssertEqual(try file.tensor("w").scalars, finite)
        }
    }

    func testF64BeyondFloat32RangeSaysSo() throws {
        let file = try SafetensorsFile(path: TestFiles.fixture("mixed.safetensors"))
        assertCheckpointError(try file.tensor("values.f64"), mentions: ["'values.f64'", "element 1 is -inf in float32 (-1e+300 as F64)"]) {
            if case .nonFiniteValue(_, "values.f64", 1, _) = $0 { true } else { false }
        }
    }

    func testEveryFormatGivesTheSameFloats() throws {
        let values: [Float] = [0.5, -1.25, 3, 0, 1024, -0.0625]
        for format in [SafetensorsTensor.FloatFormat.f32, .f16, .bf16] {
            let file = try SafetensorsFile(bytes: SafetensorsWriter.serialize([SafetensorsTensor(name: "w", shape: [2, 3], floats: values, format: format)]))
            let tensor = try file.tensor("w", shape: [2, 3])
            XCTAssertEqual(tensor.scalars, values, "\(format)")
            XCTAssertEqual(tensor.shape, [2, 3])
        }
    }
}
