// A safetensors file held in memory: the header is validated or the load throws; the tensors of
// a file that loads tile its data buffer, and each reads through every accessor or throws.
import Checkpoints

extension FuzzTargets {
    static func safetensors(_ bytes: [UInt8]) throws {
        guard let file = try? SafetensorsFile(bytes: bytes, name: "fuzz.safetensors") else { return }
        var covered = 0
        for entry in file.entries {
            try require(entry.byteRange.lowerBound == covered, "tensors do not tile the data buffer")
            covered = entry.byteRange.upperBound
            if let tensor = try? file.tensor(entry.name, shape: nil) {
                try require(tensor.shape == entry.shape, "'\(entry.name)' reads with shape \(tensor.shape), header says \(entry.shape)")
            }
            _ = try? file.floats(entry.name)
            _ = try? file.int64s(entry.name)
            _ = try? file.int32s(entry.name)
            _ = try? file.bytes(entry.name)
        }
        try require(covered == file.header.dataLength, "tensors do not cover the data buffer")
    }
}
