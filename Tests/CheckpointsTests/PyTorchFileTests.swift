// Reads torch.save archives written by scripts/hf_weight_fixtures.py and compares every tensor
// with the values torch recorded in Fixtures/hf/expected.json; hostile archives must give a
// clear error naming the problem, and never run anything.
import Checkpoints
import Foundation
import XCTest

enum HFFixtures {
    static let root = TestFiles.fixtures.appendingPathComponent("hf")

    static func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    /// expected.json: file (or directory) → tensor name → dtype, shape, values.
    static func expected() throws -> [String: [String: FixtureTests.ExpectedTensor]] {
        let data = try Data(contentsOf: root.appendingPathComponent("expected.json"))
        return try JSONDecoder().decode([String: [String: FixtureTests.ExpectedTensor]].self, from: data)
    }

    /// Checks every tensor of `source` against `want`, through the common interface.
    static func assertMatches(_ source: any NamedTensorSource, _ want: [String: FixtureTests.ExpectedTensor], _ label: String) throws {
        XCTAssertEqual(Set(source.tensorNames), Set(want.keys), label)
        XCTAssertEqual(source.tensorNames.count, want.count, label)
        for (name, tensor) in want {
            XCTAssertEqual(source.dtype(of: name)?.rawValue, tensor.dtype, "\(label) \(name)")
            XCTAssertEqual(source.shape(of: name), tensor.shape, "\(label) \(name)")
            if let bits = tensor.f32_bits {
                let t = try source.tensor(name, shape: tensor.shape)
                XCTAssertEqual(t.shape, tensor.shape, "\(label) \(name)")
                XCTAssertEqual(t.scalars.map(\.bitPattern), bits, "\(label) \(name)")
            } else {
                XCTAssertEqual(try source.int64s(name), tensor.ints, "\(label) \(name)")
            }
        }
    }
}

final class PyTorchFileTests: XCTestCase {
    func testArchivesMatchTorchValues() throws {
        let expected = try HFFixtures.expected()
        for name in ["bin_model/pytorch_model.bin", "protocol4.bin", "zip64.bin", "nested.bin"] {
            let want = try XCTUnwrap(expected[name], name)
            try HFFixtures.assertMatches(try PyTorchFile(path: HFFixtures.path(name)), want, name)
        }
    }

    func testStateDictOrderViewsAndSharedStorage() throws {
        let file = try PyTorchFile(path: HFFixtures.path("bin_model/pytorch_model.bin"))
        // nn.Module.state_dict order: the root's buffers, then each child's parameters.
        XCTAssertEqual(Array(file.entries.map(\.name).prefix(4)), ["position_ids", "embed.weight", "proj.weight", "proj.bias"])
        let transposed = try file.entry("transposed"), row = try file.entry("row"), columns = try file.entry("columns")
        XCTAssertEqual(transposed.strides, [1, 4])
        XCTAssertEqual(row.storageOffset, 4)
        XCTAssertEqual(columns.storageOffset, 1)
        XCTAssertEqual(Set([transposed.storageKey, row.storageKey, columns.storageKey]).count, 1, "one storage behind three views")
        XCTAssertEqual(try file.tensor("row").scalars, [4, 5, 6, 7].map { $0 / 8 })
        XCTAssertEqual(try file.tensor("columns").scalars, [1, 2, 5, 6, 9, 10].map { $0 / 8 })
        XCTAssertEqual(try file.tensor("expanded").scalars, [1.5, -2, 0.25, 1.5, -2, 0.25])
        XCTAssertEqual(try file.entry("tied.weight").storageKey, try file.entry("embed.weight").storageKey)
        XCTAssertEqual(try file.entry("expanded").strides, [0, 1])
    }

    func testNestedCheckpointJoinsKeysAndSkipsOtherValues() throws {
        let file = try PyTorchFile(path: HFFixtures.path("nested.bin"))
        XCTAssertEqual(file.entries.map(\.name), ["model.weight", "model.bias", "optimizer.state.0.exp_avg", "optimizer.state.0.step"])
    }

    func testAccessorsCheckDTypeAndShape() throws {
        let path = HFFixtures.path("bin_model/pytorch_model.bin")
        let file = try PyTorchFile(path: path)
        assertCheckpointError(try file.tensor("proj.weight", shape: [4, 3]), mentions: [path, "'proj.weight'", "expected [4, 3], found [3, 4]"]) {
            if case .invalidShape = $0 { true } else { false }
        }
        assertCheckpointError(try file.tensor("position_ids"), mentions: ["'position_ids'", "I64", "Float"]) {
            if case .unsupportedConversion = $0 { true } else { false }
        }
        assertCheckpointError(try file.int64s("proj.bias"), mentions: ["'proj.bias'", "F32"]) {
            if case .unsupportedConversion = $0 { true } else { false }
        }
        XCTAssertEqual(try file.int32s("position_ids"), [0, 1, 2, 3, 4])
        XCTAssertEqual(try file.int32s("ids.i32"), [7, .min, .max])
        XCTAssertEqual(try file.int64s("mask"), [1, 0, 1])
        assertCheckpointError(try file.tensor("nope"), mentions: [path, "no tensor named 'nope'"]) {
            if case .tensorNotFound = $0 { true } else { false }
        }
    }

    private func assertHostile(_ name: String, mentions: [String], _ matches: (CheckpointError) -> Bool, line: UInt = #line) {
        let path = HFFixtures.path("hostile/" + name)
        assertCheckpointError(try PyTorchFile(path: path), mentions: [path] + mentions, line: line, matches)
    }

    func testPicklesThatWouldRunCodeAreRefused() {
        assertHostile("os_system.bin", mentions: ["global 'os.system'", "byte 2", "never runs code"]) {
            if case .forbiddenGlobal(_, 2, "os.system") = $0 { true } else { false }
        }
        assertHostile("builtins_eval.bin", mentions: ["global 'builtins.eval'"]) {
            if case .forbiddenGlobal(_, _, "builtins.eval") = $0 { true } else { false }
        }
        assertHostile("inst_opcode.bin", mentions: ["pickle opcode INST", "byte 18"]) {
            if case .forbiddenOpcode(_, 18, "INST") = $0 { true } else { false }
        }
    }

    func testMalformedArchivesGiveClearErrors() {
        assertHostile("truncated.bin", mentions: ["end-of-central-directory"]) {
            if case .invalidArchive = $0 { true } else { false }
        }
        assertHostile("compressed.bin", mentions: ["'pytorch_model/data.pkl'", "compressed (method 8)"]) {
            if case .compressedEntry(_, "pytorch_model/data.pkl", 8) = $0 { true } else { false }
        }
        assertHostile("missing_storage.bin", mentions: ["storage '1' has no data record"]) {
            if case .missingStorage(_, _, "1") = $0 { true } else { false }
        }
        assertHostile("view_past_storage.bin", mentions: ["'w'", "size [3, 4], stride [4, 1]", "storage '0' of 4 elements"]) {
            if case .storageOutOfBounds(_, "w", _) = $0 { true } else { false }
        }
        assertHostile("short_storage.bin", mentions: ["'w'", "storage '0' holds 12 bytes, not 4 elements of F32"]) {
            if case .storageOutOfBounds(_, "w", _) = $0 { true } else { false }
        }
        assertHostile("big_endian.bin", mentions: ["byte order 'big'"]) {
            if case .invalidArchive = $0 { true } else { false }
        }
        assertHostile("not_a_state_dict.bin", mentions: ["data.pkl holds a list, not a state dict"]) {
            if case .invalidArchive = $0 { true } else { false }
        }
        assertHostile("legacy.bin", mentions: ["legacy format", "re-save it with a current torch"]) {
            if case .legacyTorchFormat = $0 { true } else { false }
        }
    }

    func testNaNWeightNamesTensorAndElement() throws {
        let path = HFFixtures.path("hostile/nan.bin")
        let file = try PyTorchFile(path: path)
        assertCheckpointError(try file.tensor("w"), mentions: [path, "'w'", "element 2 is nan"]) {
            if case .nonFiniteValue(_, "w", 2, _) = $0 { true } else { false }
        }
        XCTAssertTrue(try file.floats("w")[2].isNaN, "raw access still reads what the file holds")
    }

    /// Hand-assembled pickles: each opcode outside the subset, and each misuse of an allowed one.
    func testPickleMachineRejectsWhatAStateDictNeverHolds() throws {
        let cases: [(pickle: [UInt8], mentions: String)] = [
            ([0x80, 0x02, 0x7D], "ends inside an opcode"),  // no STOP
            ([0x80, 0x02, 0x2E], "stack underflow"),
            ([0x80, 0x07, 0x7D, 0x2E], "unsupported pickle protocol 7"),
            ([0x80, 0x02, 0x68, 0x05, 0x2E], "memo entry 5 was never stored"),
            ([0x80, 0x02, 0x7D, 0x4B, 0x01, 0x73, 0x2E], "stack underflow"),  // SETITEM without a value
            ([0x80, 0x02, 0x7D, 0x28, 0x4E, 0x4E, 0x75, 0x2E], "dict key is None"),
            ([0x80, 0x02, 0x8A, 0x09] + [UInt8](repeating: 0, count: 9) + [0x2E], "wider than 64 bits"),
            ([0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E], "runs past the end"),
            ([0x80, 0x02, 0x58, 0x02, 0, 0, 0, 0xC3, 0x28, 0x2E], "not valid UTF-8"),
            ([0x80, 0x02, 0x74, 0x2E], "no MARK to close"),
            ([0x80, 0x02, 0x63] + Array("torch\nFloatStorage".utf8), "no end of line"),
            ([0x80, 0x02, 0x7D, 0x7D, 0x62, 0x4E, 0x62, 0x2E], "BUILD of a dict with None"),
            ([0x80, 0x02, 0x4E, 0x51, 0x2E], "persistent id None"),
            ([0x80, 0x02, 0x63] + Array("collections\nOrderedDict\n".utf8) + [0x4E, 0x85, 0x52, 0x2E],
             "collections.OrderedDict called with (None)"),
            ([0x80, 0x02, 0x4E, 0x29, 0x52, 0x2E], "REDUCE of None"),
            ([0x80, 0x02] + [UInt8](repeating: 0x28, count: 40) + [UInt8](repeating: 0x74, count: 40) + [0x2E], "nested more than 32"),
            ([0x80, 0x02, 0x32], "opcode DUP"),
            ([0x80, 0x02, 0xFF], "0xff (not a pickle opcode)"),
        ]
        for (pickle, mentions) in cases {
            let bytes = try torchArchive(pickle: pickle)
            XCTAssertThrowsError(try PyTorchFile(bytes: bytes, name: "case.bin"), mentions) { error in
                XCTAssertTrue("\(error)".contains(mentions), "'\(error)' does not mention '\(mentions)'")
            }
        }
    }
}

/// A minimal stored zip, shaped like torch.save's, holding `pickle` as archive/data.pkl.
func torchArchive(pickle: [UInt8], records: [(String, [UInt8])] = []) throws -> [UInt8] {
    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    var out: [UInt8] = [], central: [UInt8] = []
    let all = [("archive/data.pkl", pickle)] + records
    for (name, data) in all {
        let offset = UInt32(out.count), raw = Array(name.utf8)
        out += le(UInt32(0x0403_4B50)) + le(UInt16(20)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0)) + le(UInt32(0))
            + le(UInt32(data.count)) + le(UInt32(data.count)) + le(UInt16(raw.count)) + le(UInt16(0)) + raw + data
        central += le(UInt32(0x0201_4B50)) + le(UInt16(20)) + le(UInt16(20)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0))
            + le(UInt32(0)) + le(UInt32(data.count)) + le(UInt32(data.count)) + le(UInt16(raw.count)) + le(UInt16(0))
            + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0)) + le(offset) + raw
    }
    let directoryOffset = UInt32(out.count)
    out += central
    out += le(UInt32(0x0605_4B50)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(all.count)) + le(UInt16(all.count))
        + le(UInt32(central.count)) + le(directoryOffset) + le(UInt16(0))
    return out
}
