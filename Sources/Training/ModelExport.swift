// Exporting a model: a training run's checkpoint (or the element-wise mean of its last N
// checkpoints, as the paper's base models were made, §6.1: "averaging the last 5 checkpoints"),
// or any loadable model directory, written as a model directory in one of three layouts: ours
// (weights at f32, f16, bf16 or int8), Hugging Face transformers' (Marian, GPT-2, Llama or BERT,
// with the tokenizer files AutoTokenizer reads), or the torch.nn.Transformer reference layout. The
// directory appears whole: it is written beside its destination and renamed into place.
import Checkpoints
import Foundation
import Models
import TensorEngine
import Tokenization

/// Which weights a model directory is written from.
public enum ExportSource: Equatable, Sendable {
    /// The best checkpoint by validation loss (the latest when none was validated).
    case best
    case latest
    /// The mean of the last `n` kept checkpoints (fewer when fewer are kept).
    case average(Int)
}

/// The layout of an exported model directory.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// Ours: config.json, weights.safetensors under our parameter names, tokenizer.json.
    case native
    /// Hugging Face transformers: config.json, model.safetensors, generation_config.json, and
    /// tokenizer.json with tokenizer_config.json and special_tokens_map.json.
    case hf
    /// torch.nn.Transformer's state_dict names in weights.safetensors, beside our config.json.
    case pytorch
}

public enum ModelExport {
    /// Writes `module` and `config`, with the tokenizer in `tokenizerDirectory` (a run or model
    /// directory), to `directory` in `format`; returns the Hugging Face architecture written, nil
    /// for the other formats.
    @discardableResult
    public static func write(_ module: Module, config: TransformerConfig, tokenizerDirectory: URL?, to directory: URL,
                             format: ExportFormat, dtype: WeightFormat = .f32) throws -> HubArchitecture? {
        // Refused before anything is written: a config the format cannot hold.
        if dtype == .int8 && format != .native {
            throw TrainingError("int8 weights are written in our layout only (--format native); \(format.rawValue) takes f32, f16 or bf16")
        }
        switch format {
        case .native: break
        case .hf: _ = try HubExport.architecture(for: config)
        case .pytorch: try PyTorchLayout.check(config)
        }
        try checkDestination(directory, format: format)
        let staging = directory.deletingLastPathComponent()
            .appendingPathComponent(".\(directory.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)")
        let fm = FileManager.default
        try? fm.removeItem(at: staging)
        defer { try? fm.removeItem(at: staging) }
        do { try fm.createDirectory(at: staging, withIntermediateDirectories: true) } catch {
            throw TrainingError("cannot create \(staging.path): \(error.localizedDescription)")
        }
        var architecture: HubArchitecture?
        // The decoding settings a model directory ships with go along (a run directory has none).
        let generationName = "generation_config.json"
        switch format {
        case .native, .pytorch:
            try ModelDirectory.save(module, config: config, to: staging, format: dtype, layout: format == .native ? .native : .pytorch)
            try copyTokenizerFiles(from: tokenizerDirectory, to: staging)
            if let shipped = tokenizerDirectory?.appendingPathComponent(generationName), fm.fileExists(atPath: shipped.path) {
                try AtomicFile.write(Data(contentsOf: shipped), to: staging.appendingPathComponent(generationName).path)
            }
        case .hf:
            let search = try tokenizerDirectory.map { try GenerationDefaults(config: config, directory: $0) }
            architecture = try HubExport.write(module, config: config, to: staging.path, format: dtype.floatFormat ?? .f32, search: search)
            if let tokenizerDirectory, FileManager.default.fileExists(atPath: tokenizerDirectory.appendingPathComponent("tokenizer.json").path) {
                for (name, bytes) in try hubTokenizerFiles(tokenizerDirectory.appendingPathComponent("tokenizer.json"), config: config) {
                    try AtomicFile.write(Data(bytes), to: staging.appendingPathComponent(name).path)
                }
            } else {
                // A Marian or SentencePiece tokenizer goes as its own files, as the hub ships them.
                try copyTokenizerFiles(from: tokenizerDirectory, to: staging)
            }
        }
        try AtomicFile.syncDirectory(staging.path)
        if fm.fileExists(atPath: directory.path) {
            // Into an existing directory file by file, each replaced atomically.
            for name in try fm.contentsOfDirectory(atPath: staging.path) {
                try AtomicFile.rename(staging.appendingPathComponent(name).path, to: directory.appendingPathComponent(name).path)
            }
        } else {
            try AtomicFile.rename(staging.path, to: directory.path)
        }
        return architecture
    }

    /// Exports a model directory (ours, the PyTorch reference layout or a Hugging Face one) again.
    @discardableResult
    public static func export(modelDirectory source: URL, to directory: URL, format: ExportFormat,
                              dtype: WeightFormat = .f32) throws -> HubArchitecture? {
        let loaded = try ModelDirectory.load(source)
        return try write(loaded.model.module, config: loaded.config, tokenizerDirectory: source, to: directory, format: format, dtype: dtype)
    }

    /// The tokenizer files `source` holds (RunDirectory.tokenizerFiles), copied as they are.
    static func copyTokenizerFiles(from source: URL?, to directory: URL) throws {
        guard let source else { return }
        for name in RunDirectory.tokenizerFiles where FileManager.default.fileExists(atPath: source.appendingPathComponent(name).path) {
            try AtomicFile.write(Data(contentsOf: source.appendingPathComponent(name)), to: directory.appendingPathComponent(name).path)
        }
    }

    /// tokenizer.json wrapping a text as the model reads it (a source: text + <eos>; a prompt:
    /// <bos> + text; an encoder-only model: as the tokenizer has it), and the files naming the roles.
    static func hubTokenizerFiles(_ file: URL, config c: TransformerConfig) throws -> [(name: String, bytes: [UInt8])] {
        // A hub directory's own tokenizer_config.json names its roles; ours are guessed from their spelling.
        let sibling = file.deletingLastPathComponent()
        let hasRoles = FileManager.default.fileExists(atPath: sibling.appendingPathComponent("tokenizer_config.json").path)
        let tokenizer = try Tokenizer.load(fileOrDirectory: hasRoles ? sibling.path : file.path)
        guard tokenizer.vocabSize <= c.outputVocab else {
            throw TrainingError("\(file.path) has \(tokenizer.vocabSize) tokens, more than the model's vocabulary (\(c.outputVocab))")
        }
        var roles: [String: Int32] = [:]
        if let pad = c.padId { roles["pad"] = Int32(pad) }
        let around: (bos: Int32?, eos: Int32?)?
        switch c.family {
        case .encoderDecoder:
            // EncoderDecoderModel.sourceSequence; a target read as labels gets the same <eos>.
            around = (nil, Int32(c.eosId))
        case .decoderOnly:
            // As `generate` reads a prompt.
            around = (Int32(c.bosId), nil)
        case .encoderOnly:
            around = nil
        }
        if c.family != .encoderOnly { (roles["bos"], roles["eos"]) = (Int32(c.bosId), Int32(c.eosId)) }
        return try tokenizer.hubFiles(around: around, roles: roles, modelMaxLength: c.maxLen)
    }

    /// An existing destination must hold nothing of another layout, which a loader could take for this one.
    static func checkDestination(_ directory: URL, format: ExportFormat) throws {
        let fm = FileManager.default
        guard fm.fileExists(atPath: directory.path) else { return }
        let names = Set((try? fm.contentsOfDirectory(atPath: directory.path)) ?? [])
        let hub = ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin"]
        let conflicting = format == .hf ? names.filter { $0 == "weights.safetensors" } : names.filter(hub.contains)
        if let name = conflicting.sorted().first {
            throw TrainingError("\(directory.path) already holds \(name), a model in another layout: export into a new directory")
        }
    }
}

extension RunDirectory {
    /// Writes the weights chosen by `source` to `directory` in `format`; returns the checkpoints used.
    @discardableResult
    public func exportModel(to directory: URL, format: ExportFormat = .native, dtype: WeightFormat = .f32,
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
        // The run's tokenizer.json, or (a run started from a Marian or SentencePiece model) that tokenizer's own files.
        try ModelExport.write(model.module, config: config, tokenizerDirectory: url, to: directory, format: format, dtype: dtype)
        return used
    }

    /// True when `url` is a training run directory (training.json and a checkpoint index).
    public static func isRun(_ url: URL) -> Bool {
        let run = RunDirectory(url.path)
        return FileManager.default.fileExists(atPath: run.trainingConfigPath) && FileManager.default.fileExists(atPath: run.indexPath)
    }

    /// The last `count` kept checkpoints by step, oldest first.
    public func lastCheckpoints(_ count: Int) throws -> [URL] {
        guard count >= 1 else { throw TrainingError("the number of checkpoints to average must be at least 1 (got \(count))") }
        guard let index = try index() else { throw TrainingError("run directory \(url.path) has no checkpoint yet") }
        // Names are "step-" + zero-padded steps, so name order is step order.
        return index.kept.sorted().suffix(count).map(checkpointURL)
    }

    /// Loads the mean of the checkpoints' weights into `model` (summed in Double, in the given order).
    public func averageCheckpoints(_ checkpoints: [URL], into model: TrainableModel) throws {
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
