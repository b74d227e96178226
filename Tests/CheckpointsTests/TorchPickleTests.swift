// State-dict pickles assembled opcode by opcode (as scripts/hf_weight_fixtures.py does for its
// hostile files): the torch calls' arguments, shared storages and views at their limits.
import Checkpoints
import XCTest

/// Pickle opcodes for hand-made torch.save pickles.
enum PickleOps {
    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    static func string(_ s: String) -> [UInt8] { [0x58] + le(UInt32(s.utf8.count)) + Array(s.utf8) }
    static func int(_ n: Int32) -> [UInt8] { [0x4A] + le(n) }
    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    static func tuple(_ items: [Int32]) -> [UInt8] { [0x28] + items.flatMap(int) + [0x74] }
    static let orderedDict = global("collections", "OrderedDict") + [0x29, 0x52]

    /// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()[, metadata]).
    static func tensor(key: String, type: String = "FloatStorage", numel: Int32, offset: Int32 = 0,
                       size: [Int32], stride: [Int32], metadata: [UInt8]? = nil) -> [UInt8] {
        global("torch._utils", "_rebuild_tensor_v2") + [0x28, 0x28] + string("storage") + global("torch", type)
            + string(key) + string("cpu") + int(numel) + [0x74, 0x51] + int(offset) + tuple(size) + tuple(stride)
            + [0x89] + orderedDict + (metadata ?? []) + [0x74, 0x52]
    }

    static func stateDict(_ items: [(String, [UInt8])]) -> [UInt8] {
        [0x80, 0x02] + orderedDict + [0x28] + items.flatMap { string($0.0) + $0.1 } + [0x75, 0x2E]
    }
}

final class TorchPickleTests: XCTestCase {
    private let floats = [Float(1), 2, 3, 4].flatMap { PickleOps.le($0.bitPattern) }

    private func load(_ items: [(String, [UInt8])], storage: [UInt8]? = nil) throws -> PyTorchFile {
        try PyTorchFile(bytes: torchArchive(pickle: PickleOps.stateDict(items), records: [("archive/data/0", storage ?? floats)]),
                        name: "case.bin")
    }

    func testViewsOfOneStorage() throws {
        let file = try load([
            ("all", PickleOps.tensor(key: "0", numel: 4, size: [2, 2], stride: [2, 1])),
            ("column", PickleOps.tensor(key: "0", numel: 4, offset: 1, size: [2], stride: [2])),
            ("last", PickleOps.tensor(key: "0", numel: 4, offset: 3, size: [], stride: [])),
            ("empty", PickleOps.tensor(key: "0", numel: 4, offset: 100, size: [0, 7], stride: [7, 1])),
            ("broadcast", PickleOps.tensor(key: "0", numel: 4, offset: 2, size: [3, 2], stride: [0, 1])),
            ("parameter", PickleOps.global("torch._utils", "_rebuild_parameter") + [0x28]
                + PickleOps.tensor(key: "0", numel: 4, size: [4], stride: [1]) + [0x88] + PickleOps.orderedDict + [0x74, 0x52]),
        ])
        XCTAssertEqual(try file.tensor("all").scalars, [1, 2, 3, 4])
        XCTAssertEqual(try file.tensor("column").scalars, [2, 4])
        XCTAssertEqual(try file.tensor("last").scalars, [4])
        XCTAssertEqual(try file.tensor("empty").shape, [0, 7])
        XCTAssertEqual(try file.tensor("broadcast").scalars, [3, 4, 3, 4, 3, 4])
        XCTAssertEqual(try file.tensor("parameter").scalars, [1, 2, 3, 4])
    }

    func testInconsistentStoragesAndViewsAreRefused() {
        let cases: [(items: [(String, [UInt8])], mentions: String)] = [
            ([("a", PickleOps.tensor(key: "0", numel: 4, size: [4], stride: [1])),
              ("b", PickleOps.tensor(key: "0", type: "HalfStorage", numel: 8, size: [8], stride: [1]))],
             "storage '0' declared as 4 F32 and as 8 F16"),
            ([("a", PickleOps.tensor(key: "0", numel: 4, offset: 4, size: [1], stride: [1]))], "reaches past storage '0' of 4 elements"),
            ([("a", PickleOps.tensor(key: "0", numel: 4, size: [2, 3], stride: [3, 1]))], "reaches past storage '0'"),
            ([("a", PickleOps.tensor(key: "0", numel: 4, size: [2], stride: [1 << 30]))], "reaches past storage '0'"),
            ([("a", PickleOps.tensor(key: "0", numel: 4, size: [1 << 30, 1 << 30], stride: [0, 0]))], "larger than a file of"),
            ([("a", PickleOps.tensor(key: "0", numel: 4, size: [-1], stride: [1]))], "is invalid"),
            ([("a", PickleOps.tensor(key: "0", numel: 4, size: [4], stride: [1, 1]))], "is invalid"),
            ([("a", PickleOps.tensor(key: "0", numel: 4, size: [4], stride: [1], metadata: [0x7D, 0x58, 1, 0, 0, 0, 0x78, 0x88, 0x73]))],
             "metadata (conjugate or negative bit) is not supported"),
            ([("a", PickleOps.tensor(key: "0", type: "UntypedStorage", numel: 4, size: [4], stride: [1]))], "'torch.UntypedStorage'"),
            ([("a", PickleOps.tensor(key: "0", numel: 5, size: [4], stride: [1]))], "holds 16 bytes, not 5 elements of F32"),
            ([("a", PickleOps.tensor(key: "1", numel: 4, size: [4], stride: [1]))], "storage '1' has no data record"),
            ([("a.b", PickleOps.tensor(key: "0", numel: 4, size: [4], stride: [1])),
              ("a", [0x7D, 0x28] + PickleOps.string("b") + PickleOps.tensor(key: "0", numel: 4, size: [4], stride: [1]) + [0x75])],
             "tensor name 'a.b' appears more than once"),
        ]
        for (items, mentions) in cases {
            XCTAssertThrowsError(try load(items), mentions) { error in
                XCTAssertTrue("\(error)".contains(mentions), "'\(error)' does not mention '\(mentions)'")
            }
        }
    }
}
