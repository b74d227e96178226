// Exporting a run: a checkpoint's weights with the run's model config and tokenizer, written
// as a model directory (config.json, tokenizer.json, weights.safetensors) at f32, f16 or bf16.
import Checkpoints
import Foundation

extension RunDirectory {
    /// Writes the best checkpoint (by validation loss; the latest when there is none) or the
    /// latest to `directory`; returns the checkpoint used.
    @discardableResult
    public func exportModel(to directory: URL, format: SafetensorsTensor.FloatFormat = .f32, best: Bool = true) throws -> URL {
        let config = try trainingConfig().model
        let source = try checkpoint(best: best)
        let model = try TrainableModel(config: config, seed: 0)
        _ = try TrainingCheckpoint.read(from: source, module: model.module, optimizer: nil)
        let tokenizer = FileManager.default.fileExists(atPath: tokenizerPath) ? URL(fileURLWithPath: tokenizerPath) : nil
        try ModelDirectory.save(model.module, config: config, to: directory, format: format, tokenizer: tokenizer)
        return source
    }
}
