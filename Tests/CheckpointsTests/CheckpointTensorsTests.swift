// Model directories as the hub ships them: which weight file is found, sharded checkpoints
// against torch's values, and shard indexes that disagree with their shards.
import Checkpoints
import Foundation
import XCTest

final class CheckpointTensorsTests: XCTestCase {
    func testShardedDirectoriesMatchTorchValues() throws {
        let expected = try HFFixtures.expected()
        for name in ["sharded_safetensors", "sharded_bin"] {
            let tensors = try CheckpointTensors.open(directory: HFFixtures.root.appendingPathComponent(name))
            XCTAssertGreaterThanOrEqual(tensors.files.count, 2, name)
            XCTAssertTrue(tensors.path.hasSuffix(".index.json"), tensors.path)
            try HFFixtures.assertMatches(tensors, try XCTUnwrap(expected[name]), name)
        }
        let single = try CheckpointTensors.open(directory: HFFixtures.root.appendingPathComponent("bin_model"))
        XCTAssertEqual(single.files, [HFFixtures.path("bin_model/pytorch_model.bin")])
        try HFFixtures.assertMatches(single, try XCTUnwrap(expected["bin_model/pytorch_model.bin"]), "bin_model")
    }

    func testFormatIsToldByContentNotName() throws {
        let dir = try TestFiles.temporaryDirectory(for: self)
        let renamed = dir + "/weights.pt"
        try FileManager.default.copyItem(atPath: HFFixtures.path("protocol4.bin"), toPath: renamed)
        XCTAssertEqual(try CheckpointTensors(path: renamed).tensorNames.first, "position_ids")
        let safetensors = dir + "/model.bin"
        try FileManager.default.copyItem(atPath: TestFiles.fixture("layout.safetensors"), toPath: safetensors)
        XCTAssertEqual(try CheckpointTensors(path: safetensors).tensorNames, try SafetensorsHeader.read(path: safetensors).entries.map(\.name))
    }

    func testDirectoryLookupOrder() throws {
        let dir = try TestFiles.temporaryDirectory(for: self)
        let url = URL(fileURLWithPath: dir)
        assertCheckpointError(try CheckpointTensors.open(directory: url), mentions: [dir, "model.safetensors", "pytorch_model.bin"]) {
            if case .noWeights = $0 { true } else { false }
        }
        try FileManager.default.copyItem(atPath: HFFixtures.path("bin_model/pytorch_model.bin"), toPath: dir + "/pytorch_model.bin")
        XCTAssertEqual(try CheckpointTensors.open(directory: url).files, [dir + "/pytorch_model.bin"])
        try SafetensorsWriter.write([SafetensorsTensor(name: "x", shape: [1], floats: [2])], to: dir + "/model.safetensors")
        let tensors = try CheckpointTensors.open(directory: url)
        XCTAssertEqual(tensors.files, [dir + "/model.safetensors"], "model.safetensors comes first")
        XCTAssertEqual(try tensors.tensor("x", shape: [1]).scalars, [2])
        assertCheckpointError(try tensors.tensor("embed.weight"), mentions: ["no tensor named 'embed.weight'"]) {
            if case .tensorNotFound = $0 { true } else { false }
        }
        assertCheckpointError(try CheckpointTensors.open(directory: url.appendingPathComponent("model.safetensors")),
                              mentions: ["open model directory"]) { if case .io = $0 { true } else { false } }
    }

    func testIndexNamingAMissingShard() {
        let dir = HFFixtures.root.appendingPathComponent("hostile/missing_shard")
        assertCheckpointError(try CheckpointTensors.open(directory: dir),
                              mentions: ["model.safetensors.index.json", "shard 'model-00002-of-00002.safetensors'", "does not exist"]) {
            if case .invalidIndex = $0 { true } else { false }
        }
    }

    /// Two shards "a" = {x, y} and "b" = {z}, and an index written as `weightMap`.
    private func shardedDirectory(_ weightMap: String, shardB: [String] = ["z"]) throws -> URL {
        let dir = try TestFiles.temporaryDirectory(for: self)
        try SafetensorsWriter.write(["x", "y"].map { SafetensorsTensor(name: $0, shape: [1], floats: [1]) }, to: dir + "/a.safetensors")
        try SafetensorsWriter.write(shardB.map { SafetensorsTensor(name: $0, shape: [1], floats: [2]) }, to: dir + "/b.safetensors")
        try Data(weightMap.utf8).write(to: URL(fileURLWithPath: dir + "/model.safetensors.index.json"))
        return URL(fileURLWithPath: dir)
    }

    func testIndexMustAgreeWithShards() throws {
        let good = #"{"metadata": {"total_size": 12}, "weight_map": {"x": "a.safetensors", "y": "a.safetensors", "z": "b.safetensors"}}"#
        let tensors = try CheckpointTensors.open(directory: try shardedDirectory(good))
        XCTAssertEqual(tensors.tensorNames, ["x", "y", "z"])
        XCTAssertEqual(try tensors.tensor("z").scalars, [2])
        XCTAssertEqual(tensors.shape(of: "y"), [1])
        XCTAssertEqual(tensors.dtype(of: "y"), .f32)
        XCTAssertNil(tensors.shape(of: "w"))

        let cases: [(map: String, shardB: [String], mentions: String)] = [
            (#"{"weight_map": {"x": "a.safetensors", "y": "a.safetensors", "z": "a.safetensors"}}"#, ["z"],
             "weight_map puts 'z' in 'a.safetensors', which does not hold it"),
            (#"{"weight_map": {"x": "a.safetensors", "y": "b.safetensors", "z": "b.safetensors"}}"#, ["z"],
             "weight_map puts 'y' in 'b.safetensors', but it is in 'a.safetensors'"),
            (#"{"weight_map": {"x": "a.safetensors", "z": "b.safetensors"}}"#, ["z"], "holds 'y', which weight_map does not list"),
            (#"{"weight_map": {"x": "a.safetensors", "y": "a.safetensors", "z": "b.safetensors"}}"#, ["z", "y"],
             "tensor 'y' is in two shards"),
            (#"{"weight_map": {"x": "../a.safetensors"}}"#, ["z"], "shard name '../a.safetensors' (for 'x') is not a file name"),
            (#"{"weight_map": {"x": "a.safetensors", "x": "a.safetensors"}}"#, ["z"], "'x' appears more than once"),
            (#"{"weight_map": {"x": 3}}"#, ["z"], "shard of 'x' is a number"),
            (#"{"weight_map": ["x"]}"#, ["z"], "\"weight_map\" object"),
            (#"{"weight_map": {"x": "a.safetensors"}"#, ["z"], "not JSON"),
        ]
        for (map, shardB, mentions) in cases {
            let dir = try shardedDirectory(map, shardB: shardB)
            assertCheckpointError(try CheckpointTensors.open(directory: dir), mentions: ["index.json", mentions]) {
                if case .invalidIndex = $0 { true } else { false }
            }
        }
    }
}
