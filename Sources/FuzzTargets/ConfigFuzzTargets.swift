// Config files: our model config.json, a training config (transformer train --config) and a
// Hugging Face model directory's config.json. Each decodes and validates or throws an error
// naming the key; a config that validates counts its parameters and is checked for size
// without allocating a model, and ours read back the same after writing.
import Checkpoints
import Foundation
import Models
import Training

extension FuzzTargets {
    static func modelConfig(_ bytes: [UInt8]) throws {
        guard let config = try? TransformerConfig.parse(Data(bytes), file: "config.json") else { return }
        _ = config.parameterCounts()
        _ = try? config.checkModelFits()
        let again = try? TransformerConfig.parse(config.jsonData(), file: "written")
        try require(again == config, "a valid config does not read back the same after writing")
    }

    static func trainingConfig(_ bytes: [UInt8]) throws {
        guard let config = try? TrainingConfig.parse(Data(bytes), file: "training.json") else { return }
        _ = config.model.parameterCounts()
        _ = try? config.model.checkModelFits()
        _ = try? config.jsonData()
    }

    /// The input is config.json (and, with no generation_config.json, the generation settings)
    /// of a directory whose checkpoint holds no tensors: translating the config into ours reads
    /// no weights.
    static func hubConfig() throws -> ([UInt8]) throws -> Void {
        let directory = try ScratchDirectory("hub-config")
        let header = Array("{}".utf8)
        try directory.write("model.safetensors", withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header)
        let url = URL(fileURLWithPath: directory.path)
        return { bytes in
            try directory.write("config.json", bytes)
            guard let description = try? ModelDirectory.describe(url) else { return }
            do { try description.config.validate() } catch { throw FuzzFailure("a config that loads does not validate: \(error)") }
            _ = description.config.parameterCounts()
        }
    }
}
