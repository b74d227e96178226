// Exporting a run: a checkpoint's weights with the run's model config and tokenizer, written
// as a model directory (config.json, tokenizer.json, weights.safetensors) at f32, f16, bf16 or int8.
// Optionally the element-wise mean of the last N checkpoints' weights, as the paper's base
// models were made (§6.1: "averaging the last 5 checkpoints").
import Checkpoints
import Foundation
import TensorEngine

/// Which weights a model directory is written from.
public enum ExportSource: Equatable, Sendable {
    /// The best checkpoint by validation loss (the latest when none was validated).
    case best
    case latest
    /// The mean of the last `n` kept checkpoints (fewer when fewer are kept).
    case average(Int)
}

extension RunDirectory {
    /// Writes the weights chosen by `source` to `directory`; returns the checkpoints used.
    @discardableResult
    public func exportModel(to directory: URL, format: WeightFormat = .f32,
                            source: ExportSource = .best) throws -> [URL] {
        let config = try trainingConfig().model
        let model = try TrainableModel(config: config, seed: 0)
        let used: [URL]
        switch source {
        case .best, .latest:
            used = [try checkpoint(best: source == .best)]
            _ = try TrainingCheckpoint.read(from: used[0], module: model.module, optimizer: nil)
        case .average(let n):
            used = try lastCheckpoints(n)
            try averageCheckpoints(used, into: model)
        }
        let tokenizer = FileManager.default.fileExists(atPath: tokenizerPath) ? URL(fileURLWithPath: tokenizerPath) : nil
        try ModelDirectory.save(model.module, config: config, to: directory, format: format, tokenizer: tokenizer)
        return used
    }

    /// The last `count` kept checkpoints by step, oldest first.
    public func lastCheckpoints(_ count: Int) throws -> [URL] {
        guard count >= 1 else { throw TrainingError("the number of checkpoints to average must be at least 1 (got \(count))") }
        guard let index = try index() else { throw TrainingError("run directory \(url.path) has no checkpoint yet") }
        // Names are "step-" + zero-padded steps, so name order is step order.
        return index.kept.sorted().suffix(count).map(checkpointURL)
    }

    /// Loads the mean of the checkpoints' weights into `model` (summed in Double, in the given order).
    private func averageCheckpoints(_ checkpoints: [URL], into model: TrainableModel) throws {
        let scratch = try TrainableModel(config: model.config, seed: 0)
        let targets = model.module.namedParameters()
        var sums = targets.map { [Double](repeating: 0, count: $0.tensor.count) }
        for checkpoint in checkpoints {
            _ = try TrainingCheckpoint.read(from: checkpoint, module: scratch.module, optimizer: nil)
            for (k, p) in scratch.module.namedParameters().enumerated() {
                let x = p.tensor.data
                sums[k].withUnsafeMutableBufferPointer { s in for i in s.indices { s[i] += Double(x[i]) } }
            }
        }
        let scale = 1 / Double(checkpoints.count)
        for (k, p) in targets.enumerated() {
            let y = p.tensor.data
            for i in sums[k].indices { y[i] = Float(sums[k][i] * scale) }
            p.tensor.markModified()
        }
        withExtendedLifetime(scratch) {}
    }
}
