// Reads files written by Python's safetensors (scripts/safetensors_fixtures.py) and
// compares every tensor with the values the script recorded in expected.json.
import Checkpoints
import Foundation
import XCTest

final class FixtureTests: XCTestCase {
    struct ExpectedTensor: Decodable {
        let dtype: String
        let shape: [Int]
        let f32_bits: [UInt32]?
        let ints: [Int64]?
    }

    struct ExpectedFile: Decodable {
        let metadata: [String: String]
        let tensors: [String: ExpectedTensor]
    }

    private func expected() throws -> [String: ExpectedFile] {
        let data = try Data(contentsOf: TestFiles.fixtures.appendingPathComponent("expected.json"))
        return try JSONDecoder().decode([String: ExpectedFile].self, from: data)
    }

    func testFixturesMatchPythonValues() throws {
        let files = try expected()
        XCTAssertEqual(Set(files.keys), ["mixed.safetensors", "layout.safetensors"])
        for (fileName, want) in files {
            let file = try SafetensorsFile(path: TestFiles.fixture(fileName))
            XCTAssertEqual(file.metadata, want.metadata, fileName)
            XCTAssertEqual(Set(file.entries.map(\.name)), Set(want.tensors.keys), fileName)
            for (name, tensor) in want.tensors {
                let entry = try file.entry(name)
                XCTAssertEqual(entry.dtype.rawValue, tensor.dtype, name)
                XCTAssertEqual(entry.shape, tensor.shape, name)
                if let bits = tensor.f32_bits {
                    XCTAssertEqual(try file.floats(name).map(\.bitPattern), bits, name)
                } else if let ints = tensor.ints {
                    XCTAssertEqual(try file.int64s(name), ints, name)
                    if ints.allSatisfy({ Int32(exactly: $0) != nil }) {
                        XCTAssertEqual(try file.int32s(name), ints.map { Int32($0) }, name)
                    }
                } else {
                    XCTFail("\(name): expected.json has no values")
                }
            }
        }
    }

    func testScalarAndZeroSizeTensors() throws {
        let file = try SafetensorsFile(path: TestFiles.fixture("mixed.safetensors"))
        let scalar = try file.entry("scalar.f32")
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(scalar.elementCount, 1)
        XCTAssertEqual(try file.floats("scalar.f32"), [3.5])
        let empty = try file.entry("empty.f32")
        XCTAssertEqual(empty.shape, [0, 3])
        XCTAssertEqual(empty.byteRange.count, 0)
        XCTAssertEqual(try file.floats("empty.f32"), [])
    }

    func testHeaderOnlyReadAgreesWithFullRead() throws {
        let path = TestFiles.fixture("mixed.safetensors")
        let header = try SafetensorsHeader.read(path: path)
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(header.entries, file.entries)
        XCTAssertEqual(header.metadata, file.metadata)
        XCTAssertEqual((8 + header.headerLength) % 8, 0, "Python pads the header to 8 bytes")
    }

    /// Our writer lays out and encodes a file exactly as Python's library does.
    func testReserializingPythonFileGivesIdenticalBytes() throws {
        let path = TestFiles.fixture("layout.safetensors")
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let file = try SafetensorsFile(bytes: original, name: path)
        let tensors = try file.entries.reversed().map {
            SafetensorsTensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, bytes: Array(try file.bytes($0.name)))
        }
        XCTAssertEqual(try SafetensorsWriter.serialize(tensors, metadata: file.metadata), original)
    }
}
