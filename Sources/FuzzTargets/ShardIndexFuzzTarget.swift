// A sharded checkpoint's index (model.safetensors.index.json): the input is the index, written
// beside the two shards of the fixture sharded_safetensors; an index that does not agree with
// them exactly is an error. Every tensor of an index that loads reads or throws.
import Checkpoints

extension FuzzTargets {
    static func shardIndex(_ fixtures: Fixtures) throws -> ([UInt8]) throws -> Void {
        let directory = try ScratchDirectory("shard-index")
        for shard in ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"] {
            try directory.copy(fixtures.path("Tests/CheckpointsTests/Fixtures/hf/sharded_safetensors/" + shard), as: shard)
        }
        return { bytes in
            try directory.write("model.safetensors.index.json", bytes)
            guard let tensors = try? CheckpointTensors(index: directory.file("model.safetensors.index.json")) else { return }
            for name in tensors.tensorNames {
                _ = try? tensors.tensor(name, shape: nil)
                _ = try? tensors.int64s(name)
            }
        }
    }
}
