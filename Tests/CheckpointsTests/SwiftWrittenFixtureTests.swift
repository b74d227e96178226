// The file our writer produces for a fixed set of tensors, committed as
// Fixtures/swift_written.safetensors so that scripts/safetensors_fixtures.py can check
// that Python's safetensors loads it (and writes the same bytes itself).
// To regenerate: UPDATE_FIXTURES=1 swift test -c release --filter SwiftWrittenFixtureTests
import Checkpoints
import Foundation
import XCTest

final class SwiftWrittenFixtureTests: XCTestCase {
    /// Mirrors `swift_written_tensors()` in scripts/safetensors_fixtures.py; keep the two in step.
    static let tensors: [SafetensorsTensor] = [
        SafetensorsTensor(name: "decoder.weight", shape: [2, 3], floats: [0.5, -1.25, 3.0, 0.0, -0.0, 1024.5]),
        // Ties that must round to even, and 65520, which rounds to infinity.
        SafetensorsTensor(
            name: "norm.f16", shape: [4], floats: [1 + 0x1p-11, 65520, 0x1p-25, 1 + 3 * 0x1p-11], format: .f16),
        SafetensorsTensor(
            name: "embedding.bf16", shape: [2, 2], floats: [1.00390625, 1.01171875, -3.0e38, .greatestFiniteMagnitude],
            format: .bf16),
        SafetensorsTensor(name: "steps", shape: [], int64s: [1_234_567_890_123]),
        SafetensorsTensor(name: "positions", shape: [4], int32s: [0, -1, .max, .min]),
        SafetensorsTensor(name: "mask", dtype: .bool, shape: [3], bytes: [1, 0, 1]),
        SafetensorsTensor(name: "empty", shape: [0], floats: []),
    ]
    static let metadata = ["format": "pt"]

    func testSwiftWrittenFileIsCurrent() throws {
        let path = TestFiles.fixture("swift_written.safetensors")
        if ProcessInfo.processInfo.environment["UPDATE_FIXTURES"] == "1" {
            try SafetensorsWriter.write(Self.tensors, metadata: Self.metadata, to: path)
        }
        let committed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(try SafetensorsWriter.serialize(Self.tensors, metadata: Self.metadata), committed)
    }
}
