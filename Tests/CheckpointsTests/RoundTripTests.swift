// Write → read round trips through the writer and reader, on disk and in memory.
import Checkpoints
import Foundation
import XCTest

final class RoundTripTests: XCTestCase {
    private let tensors = [
        SafetensorsTensor(name: "w", shape: [2, 3], floats: [1, -2, 3.5, 0, .infinity, -0.0]),
        SafetensorsTensor(name: "half", shape: [3], floats: [0.5, -65504, 1e-7], format: .f16),
        SafetensorsTensor(name: "brain", shape: [1, 2], floats: [3.0, -1e30], format: .bf16),
        SafetensorsTensor(name: "ids", shape: [2], int64s: [.min, .max]),
        SafetensorsTensor(name: "pos", shape: [3], int32s: [1, 2, -3]),
        SafetensorsTensor(name: "u8", dtype: .u8, shape: [2], bytes: [0, 255]),
        SafetensorsTensor(name: "i16", dtype: .i16, shape: [1], bytes: [0x00, 0x80]),
        SafetensorsTensor(name: "double", dtype: .f64, shape: [1], bytes: withUnsafeBytes(of: 0.25.bitPattern.littleEndian, Array.init)),
        SafetensorsTensor(name: "flags", dtype: .bool, shape: [2], bytes: [0, 1]),
        SafetensorsTensor(name: "scalar", shape: [], floats: [42]),
        SafetensorsTensor(name: "none", shape: [4, 0], int64s: []),
    ]
    private let metadata = ["format": "pt", "quote\"and\\slash": "line\nbreak\ttab \u{1} é 🚀"]

    func testWriteThenReadFromDisk() throws {
        let path = try TestFiles.temporaryDirectory(for: self) + "/model.safetensors"
        try SafetensorsWriter.write(tensors, metadata: metadata, to: path)
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.metadata, metadata)
        XCTAssertEqual(file.entries.count, tensors.count)
        for tensor in tensors {
            let entry = try file.entry(tensor.name)
            XCTAssertEqual(entry.dtype, tensor.dtype, tensor.name)
            XCTAssertEqual(entry.shape, tensor.shape, tensor.name)
            XCTAssertEqual(Array(try file.bytes(tensor.name)), tensor.bytes, tensor.name)
        }
        XCTAssertEqual(try file.floats("w").map(\.bitPattern), [1, -2, 3.5, 0, Float.infinity, -0.0].map(\.bitPattern))
        XCTAssertEqual(try file.floats("half"), [0.5, -65504, HalfPrecision.float(f16Bits: HalfPrecision.f16Bits(1e-7))])
        XCTAssertEqual(try file.floats("brain"), [3.0, HalfPrecision.float(bf16Bits: HalfPrecision.bf16Bits(-1e30))])
        XCTAssertEqual(try file.int64s("ids"), [.min, .max])
        XCTAssertEqual(try file.int32s("pos"), [1, 2, -3])
        XCTAssertEqual(try file.int64s("pos"), [1, 2, -3])
        XCTAssertEqual(try file.int32s("u8"), [0, 255])
        XCTAssertEqual(try file.int64s("i16"), [-32768])
        XCTAssertEqual(try file.floats("double"), [0.25])
        XCTAssertEqual(try file.int32s("flags"), [0, 1])
        XCTAssertEqual(try file.floats("scalar"), [42])
        XCTAssertEqual(try file.int64s("none"), [])
    }

    func testLayoutIsDeterministicAndAligned() throws {
        let bytes = try SafetensorsWriter.serialize(tensors, metadata: metadata)
        XCTAssertEqual(try SafetensorsWriter.serialize(tensors.reversed(), metadata: metadata), bytes)
        XCTAssertEqual(try SafetensorsWriter.serialize(tensors.shuffled(), metadata: metadata), bytes)
        let file = try SafetensorsFile(bytes: bytes)
        XCTAssertEqual((8 + file.header.headerLength) % 8, 0)
        // Python's order: dtypes by descending position in its enum, then names.
        XCTAssertEqual(
            file.entries.map(\.name), ["ids", "none", "double", "scalar", "w", "pos", "brain", "half", "i16", "u8", "flags"])
        XCTAssertEqual(file.entries.map(\.dtype), file.entries.map(\.dtype).sorted(by: >))
    }

    func testHeaderTextMatchesPythonFormat() throws {
        let bytes = try SafetensorsWriter.serialize(
            [SafetensorsTensor(name: "b", shape: [2], floats: [1, 2]), SafetensorsTensor(name: "a", shape: [1], int64s: [7])],
            metadata: ["k": "v"])
        let length = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let header = String(decoding: bytes[8..<8 + length], as: UTF8.self)
        XCTAssertEqual(
            header,
            #"{"__metadata__":{"k":"v"},"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"#
                + #""b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"# + "   ")
    }

    func testEmptyFileRoundTrips() throws {
        let bytes = try SafetensorsWriter.serialize([])
        XCTAssertEqual(bytes, [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        let file = try SafetensorsFile(bytes: bytes)
        XCTAssertTrue(file.entries.isEmpty)
        XCTAssertTrue(file.metadata.isEmpty)
    }
}
