// Setting up a run from a config: the tokenizer (loaded, or trained as joint BPE over the
// training text into the run directory), the tokenized corpora, the model config completed
// with the tokenizer's vocabulary and special ids, and a Trainer, fresh or resumed. With
// `init_from`, the model config, weights and tokenizer come from a model directory instead.
import Checkpoints
import Foundation
import Generation
import Models
import Tokenization

public struct PreparedData {
    /// The config with model.src_vocab/tgt_vocab and pad/bos/eos ids taken from the tokenizer.
    public let config: TrainingConfig
    public let tokenizer: Tokenizer
    public let train: Corpus
    public let valid: Corpus?
    /// A language model's training windows (then `train` holds no examples).
    public let windows: WindowSampler?
}

public enum TrainingSetup {
    /// `path` as given when absolute, else relative to the data directory.
    public static func resolve(_ path: String, dataDirectory: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: dataDirectory).appendingPathComponent(path).path
    }

    /// The tokenizer the config names; else the run's; else one trained on the training text
    /// (both sides of a parallel corpus) and saved into the run directory.
    public static func tokenizer(config: TrainingConfig, dataDirectory: String, run: RunDirectory?,
                                 log: (String) -> Void) throws -> Tokenizer {
        func load(_ path: String) throws -> Tokenizer {
            do { return try Tokenizer(contentsOfFile: path) } catch { throw TrainingError("cannot load tokenizer: \(error)") }
        }
        if let directory = config.initFrom {
            let tokenizer: Tokenizer
            do { tokenizer = try Tokenizer.load(fileOrDirectory: directory) } catch {
                throw TrainingError("init_from: cannot load the tokenizer of \(directory): \(error)")
            }
            if let run { try run.keepTokenizer(tokenizer, from: URL(fileURLWithPath: directory)) }
            return tokenizer
        }
        if let path = config.tokenizer.path {
            let tokenizer = try load(resolve(path, dataDirectory: dataDirectory))
            if let run { try tokenizer.save(to: run.tokenizerPath) }
            return tokenizer
        }
        if let run, FileManager.default.fileExists(atPath: run.tokenizerPath) { return try load(run.tokenizerPath) }
        // For language models the held-out tail is part of the text; it only shapes the vocabulary.
        let files = (config.task == .translation ? [config.data.trainSource, config.data.trainTarget] : [config.data.trainText])
            .compactMap { $0 }.map { resolve($0, dataDirectory: dataDirectory) }
        for file in files where !FileManager.default.fileExists(atPath: file) { throw TrainingError("data file \(file) does not exist") }
        if config.tokenizer.kind == "characters" {
            // As nanoGPT's shakespeare_char: the characters of the whole text, held-out part included.
            let text = try files.map { try TextCorpus.read($0) }.joined()
            let tokenizer: Tokenizer
            do { tokenizer = try Tokenizer.characters(of: text) } catch { throw TrainingError("cannot build the character tokenizer: \(error)") }
            log("character-level tokenizer: \(tokenizer.vocabSize - 4) characters of \(files.joined(separator: ", ")) and 4 special tokens")
            if let run { try tokenizer.save(to: run.tokenizerPath) }
            return tokenizer
        }
        log("training a \(config.tokenizer.vocabSize)-token BPE tokenizer on \(files.joined(separator: ", "))")
        let options = TrainingOptions(preTokenization: PreTokenization(rawValue: config.tokenizer.preTokenization) ?? .metaspace,
                                      minFrequency: config.tokenizer.minFrequency)
        let tokenizer: Tokenizer
        do { tokenizer = try Tokenizer.train(files: files, vocabSize: config.tokenizer.vocabSize, options: options) } catch {
            throw TrainingError("cannot train tokenizer: \(error)")
        }
        if let run { try tokenizer.save(to: run.tokenizerPath) }
        return tokenizer
    }

    /// Tokenized training and validation data and the completed config.
    public static func prepare(config: TrainingConfig, dataDirectory: String, run: RunDirectory?,
                               log: (String) -> Void = { _ in }) throws -> PreparedData {
        let tokenizer = try self.tokenizer(config: config, dataDirectory: dataDirectory, run: run, log: log)
        var resolved = config
        if config.initFrom != nil {
            // The model's own vocabulary and special ids stay; its tokenizer must fit them.
            let vocabulary = config.model.family == .decoderOnly ? config.model.tgtVocab : config.model.srcVocab
            guard tokenizer.vocabSize <= vocabulary else {
                throw TrainingError("init_from: the tokenizer has \(tokenizer.vocabSize) tokens but the model's vocabulary \(vocabulary)")
            }
        } else {
            guard let pad = tokenizer.padID, let bos = tokenizer.bosID, let eos = tokenizer.eosID else {
                throw TrainingError("the tokenizer lacks one of the special tokens <pad>, <bos>, <eos>")
            }
            resolved.model.srcVocab = tokenizer.vocabSize
            resolved.model.tgtVocab = tokenizer.vocabSize
            (resolved.model.padId, resolved.model.bosId, resolved.model.eosId) = (Int(pad), Int(bos), Int(eos))
        }
        do { try resolved.model.validate() } catch { throw TrainingError("model with the tokenizer's vocabulary: \(error)") }
        let d = config.data
        let path = { (p: String) in resolve(p, dataDirectory: dataDirectory) }
        // A Marian directory encodes targets with its target side.
        var targetTokenizer: Tokenizer?
        if let directory = config.initFrom, config.task == .translation {
            do { targetTokenizer = try Tokenizer.loadTarget(fileOrDirectory: directory) } catch {
                throw TrainingError("init_from: cannot load the target tokenizer of \(directory): \(error)")
            }
        }
        let train: Corpus, valid: Corpus?
        var windows: WindowSampler?
        switch config.task {
        case .translation:
            guard let ts = d.trainSource, let tt = d.trainTarget else { throw TrainingError("data.train_source and data.train_target are required") }
            train = ParallelCorpus.tokenize(try ParallelCorpus.pairs(source: path(ts), target: path(tt)), tokenizer: tokenizer,
                                            targetTokenizer: targetTokenizer, maxSourceLength: d.maxSourceLength, maxTargetLength: d.maxTargetLength)
            if let vs = d.validSource, let vt = d.validTarget {
                valid = ParallelCorpus.tokenize(try ParallelCorpus.pairs(source: path(vs), target: path(vt)), tokenizer: tokenizer,
                                                targetTokenizer: targetTokenizer, maxSourceLength: d.maxSourceLength, maxTargetLength: d.maxTargetLength)
            } else {
                valid = nil
            }
        case .languageModel:
            guard let text = d.trainText else { throw TrainingError("data.train_text is required") }
            let (trainText, validText) = TextCorpus.split(try TextCorpus.read(path(text)), validFraction: d.validFraction)
            let stream = TextCorpus.tokens(trainText, tokenizer: tokenizer)
            let perBatch = max(1, config.training.maxTokens / d.blockSize)
            do {
                windows = try WindowSampler(stream: stream, blockSize: d.blockSize, windows: perBatch, seed: config.training.seed &+ 3)
            } catch { throw TrainingError("data.train_text \(path(text)): \(error)") }
            train = Corpus(examples: [], skipped: 0)
            let held = TextCorpus.tokens(validText, tokenizer: tokenizer)
            valid = held.count < 2 ? nil : TextCorpus.blocks(held, blockSize: d.blockSize)
            log("data: \(stream.count) training tokens, drawn as \(perBatch) windows of \(d.blockSize) + 1 per batch; "
                + "\(held.count) held-out tokens (the last \(d.validFraction) of the text)")
        }
        if windows == nil {
            log("data: \(train.examples.count) training examples (\(train.skipped) skipped by length limits)"
                + (valid.map { ", \($0.examples.count) validation (\($0.skipped) skipped)" } ?? ""))
        }
        return PreparedData(config: resolved, tokenizer: tokenizer, train: train, valid: valid, windows: windows)
    }

    /// A trainer for `config` writing to `run`; with `resume`, continued from the run's latest
    /// checkpoint. The model, data and tokenizer sections must then match the run's saved config.
    public static func makeTrainer(config given: TrainingConfig, dataDirectory: String, run: RunDirectory, resume: Bool,
                                   log: @escaping (String) -> Void) throws -> Trainer {
        let config = try resolvingInitialModel(given)
        try config.validate()
        try run.create()
        let index = try run.index()
        if resume {
            guard index != nil, FileManager.default.fileExists(atPath: run.trainingConfigPath) else {
                throw TrainingError("--resume: \(run.url.path) holds no checkpoint to resume from")
            }
        } else if index != nil {
            throw TrainingError("\(run.url.path) already holds checkpoints: pass --resume to continue that run, or choose another --out")
        }
        let data = try prepare(config: config, dataDirectory: dataDirectory, run: run, log: log)
        if resume {
            let saved = try resolvingInitialModel(try run.trainingConfig())
            for (section, same) in [("model", saved.model == data.config.model), ("data", saved.data == config.data),
                                    ("tokenizer", saved.tokenizer == config.tokenizer), ("task", saved.task == config.task)] where !same {
                throw TrainingError("--resume: the \(section) section differs from the run's \(run.trainingConfigPath)")
            }
        }
        try AtomicFile.write(data.config.jsonData(), to: run.trainingConfigPath)
        try AtomicFile.write(data.config.model.jsonData(), to: run.modelConfigPath)
        let trainer = try Trainer(config: data.config, train: data.train, valid: data.valid, tokenizer: data.tokenizer, run: run,
                                  windows: data.windows)
        trainer.translator = GreedyValidationTranslator()
        if let directory = config.initFrom, !resume {
            let start: ModelBundle
            do { start = try ModelBundle(directory: directory, tokenizer: false, precision: .f32) } catch { throw TrainingError("init_from: \(error)") }
            try trainer.loadWeights(from: start.model.module)
            log("starting from the weights of \(directory)" + (start.architecture.map { " (\($0.rawValue))" } ?? ""))
        }
        if resume {
            let checkpoint = try run.checkpoint()
            try trainer.restore(from: checkpoint)
            log("resumed from \(checkpoint.path) at step \(trainer.state.step)")
        }
        trainer.metrics = try MetricsLog(path: run.metricsPath, truncateAfter: trainer.state.step)
        return trainer
    }

    /// The config with `init_from`'s model: the directory's config (a Hugging Face one translated
    /// into ours), whose family must be the task's. A decoder-only model without a pad id (GPT-2,
    /// Llama) gets its <eos> as one: batches are padded with it, and the loss skips it. A `model`
    /// section given beside init_from must be the directory's (as a run's training.json holds it).
    public static func resolvingInitialModel(_ config: TrainingConfig) throws -> TrainingConfig {
        guard let directory = config.initFrom else { return config }
        let description: ModelDescription
        do { description = try ModelBundle.describe(directory: directory) } catch { throw TrainingError("init_from: \(error)") }
        var model = description.config
        let family: ModelFamily = config.task == .translation ? .encoderDecoder : .decoderOnly
        guard model.family == family else {
            let what = description.architecture.map { "\(model.family.rawValue) (\($0.rawValue))" } ?? model.family.rawValue
            throw TrainingError("init_from: task \(config.task.rawValue) trains \(family.rawValue) models, but \(directory) holds \(what)")
        }
        guard model.outputHead else { throw TrainingError("init_from: \(directory) has no output layer to train (a bare base model)") }
        if model.padId == nil { model.padId = model.eosId }
        var untouched = TrainingConfig()
        untouched.model.family = family
        guard config.model == untouched.model || config.model == model else {
            throw TrainingError("init_from takes the model from \(directory): leave out the model section")
        }
        var resolved = config
        resolved.model = model
        return resolved
    }
}
