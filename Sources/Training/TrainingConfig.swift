// Training configuration: one JSON file (snake_case keys) with the model (a preset and/or
// explicit keys), data paths, tokenizer, batching, optimizer, schedule and run settings.
// Unknown keys are rejected and every error names the file and the key.
import Foundation
import Models

public enum TrainingTask: String, Codable, Sendable {
    /// Parallel text, encoder-decoder model.
    case translation
    /// Plain text, decoder-only model predicting the next token.
    case languageModel = "language-model"
}

public struct DataSettings: Codable, Equatable, Sendable {
    /// Translation: aligned files, one sentence per line, relative to the data directory.
    public var trainSource: String?
    public var trainTarget: String?
    public var validSource: String?
    public var validTarget: String?
    /// Language modelling: one text file, read as it is; the last `valid_fraction` of its
    /// characters is held out. Training draws windows of `block_size` + 1 tokens at random
    /// offsets, `training.max_tokens / block_size` per batch.
    public var trainText: String?
    public var validFraction = 0.1
    /// Tokens per language-model example (each predicts the next `block_size` tokens).
    public var blockSize = 128
    /// Pairs whose source or target (with `<eos>`) is longer are skipped and counted.
    public var maxSourceLength = 128
    public var maxTargetLength = 128

    enum CodingKeys: String, CodingKey, CaseIterable {
        case trainSource = "train_source", trainTarget = "train_target", validSource = "valid_source", validTarget = "valid_target"
        case trainText = "train_text", validFraction = "valid_fraction", blockSize = "block_size"
        case maxSourceLength = "max_source_length", maxTargetLength = "max_target_length"
    }

    public init() {}
    public init(from decoder: Swift.Decoder) throws {
        let c = try strictContainer(decoder, CodingKeys.self)
        let d = DataSettings()
        trainSource = try c.decodeIfPresent(String.self, forKey: .trainSource)
        trainTarget = try c.decodeIfPresent(String.self, forKey: .trainTarget)
        validSource = try c.decodeIfPresent(String.self, forKey: .validSource)
        validTarget = try c.decodeIfPresent(String.self, forKey: .validTarget)
        trainText = try c.decodeIfPresent(String.self, forKey: .trainText)
        validFraction = try c.value(.validFraction, d.validFraction)
        blockSize = try c.value(.blockSize, d.blockSize)
        maxSourceLength = try c.value(.maxSourceLength, d.maxSourceLength)
        maxTargetLength = try c.value(.maxTargetLength, d.maxTargetLength)
    }
}

public struct TokenizerSettings: Codable, Equatable, Sendable {
    /// An existing tokenizer.json (relative to the data directory); when nil, one is trained
    /// into the run directory (joint BPE over all training text) unless it already exists.
    public var path: String?
    /// "bpe" (byte-level BPE learned from the training text) or "characters" (the text's own
    /// characters, one token each: see `Tokenizer.characters(of:)`).
    public var kind = "bpe"
    public var vocabSize = 8000
    public var preTokenization = "metaspace"
    public var minFrequency = 2

    enum CodingKeys: String, CodingKey, CaseIterable {
        case path, kind, vocabSize = "vocab_size", preTokenization = "pre_tokenization", minFrequency = "min_frequency"
    }

    public init() {}
    public init(from decoder: Swift.Decoder) throws {
        let c = try strictContainer(decoder, CodingKeys.self)
        let d = TokenizerSettings()
        path = try c.decodeIfPresent(String.self, forKey: .path)
        kind = try c.value(.kind, d.kind)
        vocabSize = try c.value(.vocabSize, d.vocabSize)
        preTokenization = try c.value(.preTokenization, d.preTokenization)
        minFrequency = try c.value(.minFrequency, d.minFrequency)
    }
}

public struct OptimizerSettings: Codable, Equatable, Sendable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.98
    public var epsilon: Float = 1e-9
    /// Decoupled (AdamW) decay, applied to matrices only (not biases or norm gains).
    public var weightDecay: Float = 0
    /// Global gradient-norm bound; 0 turns clipping off.
    public var clipNorm: Float = 1
    /// Batches whose gradients are summed (weighted by target tokens) per update.
    public var accumulate = 1

    enum CodingKeys: String, CodingKey, CaseIterable {
        case beta1, beta2, epsilon, weightDecay = "weight_decay", clipNorm = "clip_norm", accumulate
    }

    public init() {}
    public init(from decoder: Swift.Decoder) throws {
        let c = try strictContainer(decoder, CodingKeys.self)
        let d = OptimizerSettings()
        beta1 = try c.value(.beta1, d.beta1)
        beta2 = try c.value(.beta2, d.beta2)
        epsilon = try c.value(.epsilon, d.epsilon)
        weightDecay = try c.value(.weightDecay, d.weightDecay)
        clipNorm = try c.value(.clipNorm, d.clipNorm)
        accumulate = try c.value(.accumulate, d.accumulate)
    }
}

public struct RunSettings: Codable, Equatable, Sendable {
    public var seed: UInt64 = 1
    public var maxSteps = 100_000
    /// Stops after this many passes over the data, if set.
    public var maxEpochs: Int?
    /// Wall-clock budget of one `transformer train` invocation, in minutes, if set: training stops
    /// at the first step boundary past it, counted from the command's start, then validates and
    /// saves. With `schedule.until` "max_minutes" it is the whole run's budget (resumed runs
    /// continue the clock) and the cosine ends with it.
    public var maxMinutes: Double?
    public var maxTokens = 4096
    public var logEvery = 50
    public var validateEvery = 1000
    public var checkpointEvery = 1000
    public var keepLast = 3
    /// When the run ends, the mean of the weights at its last `averageLast` kept checkpoints — what
    /// `export --average N` writes — is validated too and logged as "valid_average" (0: off).
    /// Averaging the end of a run (Polyak averaging; Izmailov et al. 2018) evens out the noise of
    /// the last updates; a small model that overfits gains most.
    public var averageLast = 0
    /// Consecutive non-finite steps after which training stops.
    public var maxBadSteps = 10
    /// Compute BLEU at validation (needs a decoder: see `Trainer.translationDecoder`).
    public var validationBLEU = false
    /// The training step's matrix products: "f32", or "bf16" for mixed precision (bfloat16
    /// operands, float32 sums; weights, gradients and Adam's moments stay float32).
    public var precision = MatmulPrecision.f32
    /// Each batch split into this many groups of rows that run forward and backward at the same
    /// time, one per thread, their gradients summed in a fixed order: data parallelism inside a
    /// step, which pays for small models whose products are too small to split across threads.
    /// The result depends on the number of shards, never on the number of threads.
    public var shards = 1

    enum CodingKeys: String, CodingKey, CaseIterable {
        case seed, maxSteps = "max_steps", maxEpochs = "max_epochs", maxMinutes = "max_minutes", maxTokens = "max_tokens", logEvery = "log_every"
        case validateEvery = "validate_every", checkpointEvery = "checkpoint_every", keepLast = "keep_last", averageLast = "average_last"
        case maxBadSteps = "max_bad_steps", validationBLEU = "validation_bleu", precision, shards
    }

    public init() {}
    public init(from decoder: Swift.Decoder) throws {
        let c = try strictContainer(decoder, CodingKeys.self)
        let d = RunSettings()
        seed = try c.value(.seed, d.seed)
        maxSteps = try c.value(.maxSteps, d.maxSteps)
        maxEpochs = try c.decodeIfPresent(Int.self, forKey: .maxEpochs)
        maxMinutes = try c.decodeIfPresent(Double.self, forKey: .maxMinutes)
        maxTokens = try c.value(.maxTokens, d.maxTokens)
        logEvery = try c.value(.logEvery, d.logEvery)
        validateEvery = try c.value(.validateEvery, d.validateEvery)
        checkpointEvery = try c.value(.checkpointEvery, d.checkpointEvery)
        keepLast = try c.value(.keepLast, d.keepLast)
        averageLast = try c.value(.averageLast, d.averageLast)
        maxBadSteps = try c.value(.maxBadSteps, d.maxBadSteps)
        validationBLEU = try c.value(.validationBLEU, d.validationBLEU)
        let name = try c.value(.precision, d.precision.rawValue)
        guard let precision = MatmulPrecision(rawValue: name) else {
            throw DecodingError.dataCorruptedError(forKey: .precision, in: c,
                                                   debugDescription: "must be f32 or bf16 (got '\(name)')")
        }
        self.precision = precision
        shards = try c.value(.shards, d.shards)
    }
}

public struct TrainingConfig: Codable, Equatable, Sendable {
    public var task: TrainingTask = .translation
    /// A model directory to start from (ours, the PyTorch reference layout, or a Hugging Face one;
    /// relative to the current directory): its weights, config and tokenizer replace `model`, a
    /// fresh model and the tokenizer settings (see `TrainingSetup.resolvingInitialModel`).
    public var initFrom: String?
    /// The model; its family follows the task, vocabulary sizes and special ids the tokenizer.
    public var model = TransformerConfig()
    public var data = DataSettings()
    public var tokenizer = TokenizerSettings()
    public var optimizer = OptimizerSettings()
    public var schedule = ScheduleSettings()
    public var scheduledSampling = ScheduledSamplingSettings()
    public var training = RunSettings()

    enum CodingKeys: String, CodingKey, CaseIterable {
        case task, initFrom = "init_from", model, modelPreset = "model_preset", data, tokenizer, optimizer, schedule
        case scheduledSampling = "scheduled_sampling", training
    }

    public init() {}

    public init(from decoder: Swift.Decoder) throws {
        let c = try strictContainer(decoder, CodingKeys.self)
        let d = TrainingConfig()
        task = try c.value(.task, d.task)
        initFrom = try c.decodeIfPresent(String.self, forKey: .initFrom)
        data = try c.value(.data, d.data)
        tokenizer = try c.value(.tokenizer, d.tokenizer)
        optimizer = try c.value(.optimizer, d.optimizer)
        schedule = try c.value(.schedule, d.schedule)
        scheduledSampling = try c.value(.scheduledSampling, d.scheduledSampling)
        training = try c.value(.training, d.training)
        // `model_preset` was folded into `model` by `load`; decoding it alone still works.
        if let preset = try c.decodeIfPresent(String.self, forKey: .modelPreset), !c.contains(.model) {
            model = try TransformerConfig.preset(preset)
        } else {
            model = try c.value(.model, d.model)
        }
        // The task decides the family, so a preset (encoder-decoder) also serves language modelling.
        model.family = task == .translation ? .encoderDecoder : .decoderOnly
    }

    public func encode(to encoder: Swift.Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(task, forKey: .task)
        try c.encodeIfPresent(initFrom, forKey: .initFrom)
        try c.encode(model, forKey: .model)
        try c.encode(data, forKey: .data)
        try c.encode(tokenizer, forKey: .tokenizer)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encode(schedule, forKey: .schedule)
        try c.encode(scheduledSampling, forKey: .scheduledSampling)
        try c.encode(training, forKey: .training)
    }

    /// Reads a config file: `model_preset` gives the starting model, `model` keys override it.
    public static func load(from path: String) throws -> TrainingConfig {
        guard let bytes = FileManager.default.contents(atPath: path) else { throw TrainingError("cannot read training config \(path)") }
        return try parse(bytes, file: path)
    }

    public static func parse(_ bytes: Data, file: String) throws -> TrainingConfig {
        let fail = { (why: String) in TrainingError("invalid training config \(file): \(why)") }
        guard var root = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else {
            throw fail("not a JSON object")
        }
        if root["init_from"] != nil {
            // The directory's model is the model; a run's saved training.json also holds it as `model`.
            guard root["init_from"] is String else { throw fail("init_from must be a string (a model directory)") }
            guard root["model_preset"] == nil else { throw fail("init_from takes the model from its directory: leave out model_preset") }
            guard (root["tokenizer"] as? [String: Any])?["path"] == nil else {
                throw fail("init_from takes the tokenizer from its directory: leave out tokenizer.path")
            }
        }
        if let preset = root["model_preset"] {
            guard let name = preset as? String else { throw fail("model_preset must be a string") }
            let base: TransformerConfig
            do { base = try TransformerConfig.preset(name) } catch { throw fail("model_preset: \(error)") }
            var merged = (try JSONSerialization.jsonObject(with: JSONEncoder().encode(base)) as? [String: Any]) ?? [:]
            if let overrides = root["model"] {
                guard let dict = overrides as? [String: Any] else { throw fail("model must be an object") }
                merged.merge(dict) { _, new in new }
            }
            root["model"] = merged
            root["model_preset"] = nil
        }
        let config: TrainingConfig
        do {
            config = try JSONDecoder().decode(TrainingConfig.self, from: JSONSerialization.data(withJSONObject: root))
        } catch {
            throw fail(describeDecodingError(error))
        }
        // With init_from the model, and what is checked against it, is known once the directory is read.
        if config.initFrom == nil {
            do { try config.validate() } catch { throw fail("\(error)") }
        }
        return config
    }

    /// Checks every value; the error names the key.
    public func validate() throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws { if !ok { throw TrainingError(message()) } }
        do { try model.validate() } catch { throw TrainingError("model: \(error)") }
        switch task {
        case .translation:
            try require(data.trainSource != nil && data.trainTarget != nil, "data.train_source and data.train_target are required for translation")
            try require((data.validSource == nil) == (data.validTarget == nil), "data.valid_source and data.valid_target go together")
            try require(data.maxSourceLength > 0 && data.maxSourceLength <= model.maxLen, "data.max_source_length must be in 1...model.max_len (\(model.maxLen))")
            try require(data.maxTargetLength > 0 && data.maxTargetLength < model.maxLen, "data.max_target_length must be in 1..<model.max_len (\(model.maxLen))")
        case .languageModel:
            try require(data.trainText != nil, "data.train_text is required for language-model")
            try require(data.validFraction >= 0 && data.validFraction < 1, "data.valid_fraction must be in [0, 1)")
            try require(data.blockSize > 0 && data.blockSize <= model.maxLen, "data.block_size must be in 1...model.max_len (\(model.maxLen))")
        }
        try require(["bpe", "characters"].contains(tokenizer.kind), "tokenizer.kind must be bpe or characters (got '\(tokenizer.kind)')")
        try require(tokenizer.kind != "bpe" || tokenizer.vocabSize >= 260, "tokenizer.vocab_size must be at least 260 (4 specials + 256 bytes)")
        try require(["metaspace", "gpt2"].contains(tokenizer.preTokenization), "tokenizer.pre_tokenization must be metaspace or gpt2")
        try require(tokenizer.minFrequency >= 1, "tokenizer.min_frequency must be at least 1")
        try require(optimizer.beta1 >= 0 && optimizer.beta1 < 1, "optimizer.beta1 must be in [0, 1)")
        try require(optimizer.beta2 >= 0 && optimizer.beta2 < 1, "optimizer.beta2 must be in [0, 1)")
        try require(optimizer.epsilon > 0, "optimizer.epsilon must be positive")
        try require(optimizer.weightDecay >= 0, "optimizer.weight_decay must not be negative")
        try require(optimizer.clipNorm >= 0, "optimizer.clip_norm must not be negative (0 turns clipping off)")
        try require(optimizer.accumulate >= 1, "optimizer.accumulate must be at least 1")
        try schedule.validate()
        try scheduledSampling.validate()
        try require(training.maxSteps >= 1, "training.max_steps must be at least 1")
        try require(training.maxEpochs.map { $0 >= 1 } ?? true, "training.max_epochs must be at least 1")
        try require(training.maxMinutes.map { $0 > 0 && $0.isFinite } ?? true, "training.max_minutes must be a positive number")
        try require(schedule.until != "max_minutes" || training.maxMinutes != nil, "schedule.until max_minutes needs training.max_minutes")
        let longest = task == .translation ? max(data.maxSourceLength, data.maxTargetLength + 1) : data.blockSize
        try require(training.maxTokens >= longest, "training.max_tokens (\(training.maxTokens)) must hold the longest example (\(longest) tokens)")
        for (key, v) in [("log_every", training.logEvery), ("validate_every", training.validateEvery),
                         ("checkpoint_every", training.checkpointEvery), ("keep_last", training.keepLast), ("max_bad_steps", training.maxBadSteps)] {
            try require(v >= 1, "training.\(key) must be at least 1")
        }
        try require(training.shards >= 1 && training.shards <= 64, "training.shards must be in 1...64")
        try require(training.shards == 1 || model.norm != .batchNorm,
                    "training.shards > 1 needs a norm without batch statistics (BatchNorm's would differ per shard)")
        try require(training.averageLast == 0 || training.averageLast >= 2, "training.average_last must be 0 (off) or at least 2")
        try require(training.averageLast <= training.keepLast,
                    "training.average_last (\(training.averageLast)) must not exceed training.keep_last (\(training.keepLast)): it averages kept checkpoints")
    }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

// MARK: Strict decoding helpers

struct AnyKey: CodingKey {
    var stringValue: String
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// A keyed container that first rejects keys outside `keys`, so a typo is an error, not a default.
func strictContainer<K: CodingKey & CaseIterable>(_ decoder: Swift.Decoder, _ keys: K.Type) throws -> KeyedDecodingContainer<K> {
    let known = Set(K.allCases.map(\.stringValue))
    if let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.first(where: { !known.contains($0.stringValue) }) {
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [unknown],
                                                debugDescription: "unknown key (known: \(known.sorted().joined(separator: ", ")))"))
    }
    return try decoder.container(keyedBy: K.self)
}

extension KeyedDecodingContainer {
    func value<T: Decodable>(_ key: Key, _ fallback: T) throws -> T { try decodeIfPresent(T.self, forKey: key) ?? fallback }
}

func describeDecodingError(_ error: Error) -> String {
    switch error {
    case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c), DecodingError.dataCorrupted(let c),
         DecodingError.keyNotFound(_, let c):
        let path = c.codingPath.map(\.stringValue).joined(separator: ".")
        return path.isEmpty ? c.debugDescription : "\(path): \(c.debugDescription)"
    default: return "\(error)"
    }
}
