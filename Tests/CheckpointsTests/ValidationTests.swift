// Every validation error: malformed files, bad accessor use and bad writer input each
// throw the matching CheckpointError with a message naming the file and tensor.
import Checkpoints
import Foundation
import XCTest

final class ValidationTests: XCTestCase {
    private let fileName = "bad.safetensors"

    private func parse(_ bytes: [UInt8]) throws -> SafetensorsFile {
        try SafetensorsFile(bytes: bytes, name: fileName)
    }

    private func parse(header: String, dataLength: Int = 0) throws -> SafetensorsFile {
        try parse(TestFiles.file(header: header, dataLength: dataLength))
    }

    private func tensor(_ dtype: String = "F32", shape: String = "[1]", offsets: String = "[0, 4]") -> String {
        #"{"dtype": "\#(dtype)", "shape": \#(shape), "data_offsets": \#(offsets)}"#
    }

    func testFileTooShort() {
        assertCheckpointError(try parse([1, 2, 3]), mentions: [fileName, "3 bytes", "too short"]) {
            if case .fileTooShort(_, 3) = $0 { true } else { false }
        }
    }

    func testHeaderLengthBeyondFileOrAbsurd() {
        for length: UInt64 in [UInt64.max, 1 << 40, 200_000_000, 9] {
            let bytes = withUnsafeBytes(of: length.littleEndian, Array.init) + Array("{}".utf8)
            assertCheckpointError(try parse(bytes), mentions: [fileName, "header length \(length)", "10 bytes"]) {
                if case .invalidHeaderLength(_, length, 10) = $0 { true } else { false }
            }
        }
    }

    func testHeaderNotUTF8() {
        let bytes = withUnsafeBytes(of: UInt64(4).littleEndian, Array.init) + [0x7B, 0xFF, 0xFE, 0x7D]
        assertCheckpointError(try parse(bytes), mentions: [fileName, "UTF-8"]) {
            if case .headerNotUTF8 = $0 { true } else { false }
        }
    }

    func testHeaderNotJSON() {
        for header in [#"{"a": "#, #"{"a": 1,}"#, "", #"{"a" 1}"#, #"{"a": tru}"#, #"{"x": "\ud800"}"#, "{} x"] {
            assertCheckpointError(try parse(header: header), mentions: [fileName, "not valid JSON"]) {
                if case .headerNotJSON = $0 { true } else { false }
            }
        }
        let deep = String(repeating: "[", count: 10_000)
        assertCheckpointError(try parse(header: deep), mentions: ["nesting"]) {
            if case .headerNotJSON = $0 { true } else { false }
        }
    }

    func testWrongStructure() {
        let cases: [(String, [String])] = [
            ("[]", ["expected a JSON object, found an array"]),
            (#"{"t": 5}"#, ["'t'", "found a number"]),
            (#"{"t": {"shape": [1], "data_offsets": [0, 4]}}"#, ["'t'", "dtype"]),
            (#"{"t": {"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}}"#, ["'t'", "shape"]),
            (#"{"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}}"#, ["'t'", "data_offsets"]),
            (#"{"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, -4]}}"#, ["'t'", "data_offsets"]),
            (#"{"t": {"dtype": "F32", "dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, ["'t'", "more than once"]),
            (#"{"__metadata__": {"k": 1}}"#, ["metadata", "\"k\"", "string"]),
            (#"{"__metadata__": ["k"]}"#, ["__metadata__", "object"]),
            (#"{"__metadata__": {"k": "a", "k": "b"}}"#, ["\"k\"", "more than once"]),
        ]
        for (header, mentions) in cases {
            assertCheckpointError(try parse(header: header, dataLength: 0), mentions: [fileName] + mentions) {
                if case .invalidHeader = $0 { true } else { false }
            }
        }
    }

    func testUnknownDType() {
        assertCheckpointError(try parse(header: #"{"t": \#(tensor("F12"))}"#, dataLength: 4), mentions: [fileName, "'t'", "F12"]) {
            if case .unknownDType(_, "t", "F12") = $0 { true } else { false }
        }
    }

    /// A NaN or ∞ in a weight is refused with the tensor and element named (F32 and F16 alike).
    func testNonFiniteWeights() {
        let header = #"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}, "#
            + #""b": {"dtype": "F16", "shape": [2], "data_offsets": [12, 16]}}"#
        let floats: [Float] = [1, .nan, 2]
        let data = floats.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
            + withUnsafeBytes(of: UInt16(0x3C00).littleEndian, Array.init) + withUnsafeBytes(of: UInt16(0xFC00).littleEndian, Array.init)
        let json = Array(header.utf8)
        let bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data
        assertCheckpointError(try parse(bytes).tensor("a"), mentions: [fileName, "'a'", "element 1", "nan"]) {
            if case .nonFiniteValue(_, "a", 1, _) = $0 { true } else { false }
        }
        assertCheckpointError(try parse(bytes).tensor("b", shape: [2]), mentions: [fileName, "'b'", "element 1", "-inf"]) {
            if case .nonFiniteValue(_, "b", 1, _) = $0 { true } else { false }
        }
        XCTAssertEqual(try parse(bytes).floats("a").count, 3, "raw access still reads what the file holds")
    }

    func testInvalidShapes() {
        let cases: [(String, String)] = [("[2, -3]", "negative"), ("[2.5]", "not an integer"), ("[1e2]", "not an integer"),
                                         (#"["2"]"#, "a string")]
        for (shape, reason) in cases {
            assertCheckpointError(try parse(header: #"{"w": \#(tensor(shape: shape))}"#, dataLength: 4),
                                  mentions: [fileName, "'w'", reason]) {
                if case .invalidShape(_, "w", _) = $0 { true } else { false }
            }
        }
    }

    func testShapeOverflow() {
        for shape in ["[4294967296, 4294967296, 4]", "[99999999999999999999]", "[4611686018427387904]", "[2305843009213693952]"] {
            assertCheckpointError(try parse(header: #"{"w": \#(tensor(shape: shape))}"#, dataLength: 4),
                                  mentions: [fileName, "'w'", "overflows"]) {
                if case .shapeOverflow(_, "w", _) = $0 { true } else { false }
            }
        }
    }

    func testByteCountMismatch() {
        assertCheckpointError(try parse(header: #"{"w": \#(tensor(shape: "[2]", offsets: "[0, 4]"))}"#, dataLength: 4),
                              mentions: [fileName, "'w'", "need 8 bytes", "found 4"]) {
            if case .byteCountMismatch(_, "w", 8, 4) = $0 { true } else { false }
        }
    }

    func testOffsetsReversedOrOutOfRange() {
        for (offsets, begin, end) in [("[8, 4]", UInt64(8), UInt64(4)), ("[4, 8]", 4, 8), ("[0, 18446744073709551615]", 0, .max)] {
            assertCheckpointError(try parse(header: #"{"w": \#(tensor(offsets: offsets))}"#, dataLength: 4),
                                  mentions: [fileName, "'w'", "[\(begin), \(end)]", "4 bytes"]) {
                if case .invalidOffsets(_, "w", begin, end, 4) = $0 { true } else { false }
            }
        }
    }

    func testOverlappingTensors() {
        let header = #"{"a": \#(tensor(shape: "[2]", offsets: "[0, 8]")), "b": \#(tensor(shape: "[2]", offsets: "[4, 12]"))}"#
        assertCheckpointError(try parse(header: header, dataLength: 12), mentions: [fileName, "'b' overlaps tensor 'a'"]) {
            if case .overlappingTensors(_, "b", "a") = $0 { true } else { false }
        }
        // A zero-size tensor inside another one overlaps it too.
        let inside = #"{"a": \#(tensor(shape: "[2]", offsets: "[0, 8]")), "z": \#(tensor(shape: "[0]", offsets: "[4, 4]"))}"#
        assertCheckpointError(try parse(header: inside, dataLength: 8), mentions: ["'z' overlaps tensor 'a'"]) {
            if case .overlappingTensors(_, "z", "a") = $0 { true } else { false }
        }
    }

    func testHolesAndTrailingBytes() {
        let hole = #"{"a": \#(tensor(offsets: "[0, 4]")), "b": \#(tensor(offsets: "[8, 12]"))}"#
        assertCheckpointError(try parse(header: hole, dataLength: 12), mentions: [fileName, "bytes 4..<8", "no tensor"]) {
            if case .uncoveredBytes(_, 4, 8) = $0 { true } else { false }
        }
        assertCheckpointError(try parse(header: #"{"a": \#(tensor())}"#, dataLength: 7), mentions: ["bytes 4..<7"]) {
            if case .uncoveredBytes(_, 4, 7) = $0 { true } else { false }
        }
        assertCheckpointError(try parse(header: "{}", dataLength: 1), mentions: ["bytes 0..<1"]) {
            if case .uncoveredBytes(_, 0, 1) = $0 { true } else { false }
        }
    }

    func testDuplicateNames() {
        let header = #"{"a": \#(tensor(offsets: "[0, 4]")), "a": \#(tensor(offsets: "[4, 8]"))}"#
        assertCheckpointError(try parse(header: header, dataLength: 8), mentions: [fileName, "'a'", "more than once"]) {
            if case .duplicateName(_, "a") = $0 { true } else { false }
        }
    }

    func testAccessorErrors() throws {
        let bytes = try SafetensorsWriter.serialize([
            SafetensorsTensor(name: "big", shape: [2], int64s: [1, 1 << 40]),
            SafetensorsTensor(name: "u64", dtype: .u64, shape: [1], bytes: [UInt8](repeating: 0xFF, count: 8)),
            SafetensorsTensor(name: "flags", dtype: .bool, shape: [2], bytes: [1, 2]),
            SafetensorsTensor(name: "w", shape: [1], floats: [1]),
        ])
        let file = try SafetensorsFile(bytes: bytes, name: fileName)
        assertCheckpointError(try file.floats("nope"), mentions: [fileName, "no tensor named 'nope'"]) {
            if case .tensorNotFound(_, "nope") = $0 { true } else { false }
        }
        assertCheckpointError(try file.floats("big"), mentions: ["'big'", "I64", "Float"]) {
            if case .unsupportedConversion(_, "big", .i64, "Float") = $0 { true } else { false }
        }
        assertCheckpointError(try file.int64s("w"), mentions: ["'w'", "F32", "Int64"]) {
            if case .unsupportedConversion(_, "w", .f32, "Int64") = $0 { true } else { false }
        }
        assertCheckpointError(try file.int32s("big"), mentions: ["'big'", "element 1", "Int32"]) {
            if case .valueOutOfRange(_, "big", 1, "Int32") = $0 { true } else { false }
        }
        assertCheckpointError(try file.int64s("u64"), mentions: ["'u64'", "element 0", "Int64"]) {
            if case .valueOutOfRange(_, "u64", 0, "Int64") = $0 { true } else { false }
        }
        assertCheckpointError(try file.int64s("flags"), mentions: ["'flags'", "element 1", "BOOL"]) {
            if case .valueOutOfRange(_, "flags", 1, _) = $0 { true } else { false }
        }
    }

    func testWriterRejectsBadTensors() throws {
        let path = try TestFiles.temporaryDirectory(for: self) + "/out.safetensors"
        let good = SafetensorsTensor(name: "a", shape: [1], floats: [1])
        assertCheckpointError(try SafetensorsWriter.write([good, good], to: path), mentions: [path, "'a'", "more than once"]) {
            if case .duplicateName(_, "a") = $0 { true } else { false }
        }
        assertCheckpointError(try SafetensorsWriter.serialize([SafetensorsTensor(name: "a", shape: [2], floats: [1])]),
                              mentions: ["'a'", "need 8 bytes", "found 4"]) {
            if case .byteCountMismatch(_, "a", 8, 4) = $0 { true } else { false }
        }
        assertCheckpointError(try SafetensorsWriter.serialize([SafetensorsTensor(name: "a", shape: [-1], floats: [])]),
                              mentions: ["'a'", "negative"]) {
            if case .invalidShape = $0 { true } else { false }
        }
        assertCheckpointError(try SafetensorsWriter.serialize([SafetensorsTensor(name: "a", shape: [.max, 2], floats: [])]),
                              mentions: ["'a'", "overflows"]) {
            if case .shapeOverflow = $0 { true } else { false }
        }
        assertCheckpointError(try SafetensorsWriter.serialize([SafetensorsTensor(name: "__metadata__", shape: [], floats: [1])]),
                              mentions: ["reserved"]) {
            if case .invalidHeader = $0 { true } else { false }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing is written when validation fails")
    }

    func testMissingFileIsAnIOError() {
        assertCheckpointError(try SafetensorsFile(path: "/nonexistent/x.safetensors"),
                              mentions: ["/nonexistent/x.safetensors", "open", "No such file"]) {
            if case .io(_, "open", ENOENT) = $0 { true } else { false }
        }
    }
}
