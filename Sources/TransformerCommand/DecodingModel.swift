// Loading what the decoding commands need from a model directory: the model, checked to be of
// the right family, and its tokenizer.json, checked against the model's vocabulary. Every
// problem becomes a message naming the file, never a trap.
import ArgumentParser
import Checkpoints
import Foundation
import Generation
import Models
import Tokenization

struct DecodingModel {
    let config: TransformerConfig
    let model: AnyTransformerModel
    let tokenizer: Tokenizer

    init(directory path: String) throws {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DecodingCommandError("model directory '\(path)' does not exist")
        }
        let tokenizerPath = url.appendingPathComponent("tokenizer.json").path
        guard FileManager.default.fileExists(atPath: tokenizerPath) else {
            throw DecodingCommandError("model directory '\(path)' has no tokenizer.json")
        }
        let loaded = try ModelDirectory.load(url)
        tokenizer = try Tokenizer(contentsOfFile: tokenizerPath)
        config = loaded.config
        model = loaded.model
        let inputVocabulary = config.family == .decoderOnly ? config.tgtVocab : config.srcVocab
        guard tokenizer.vocabSize <= inputVocabulary else {
            throw DecodingCommandError("tokenizer.json has \(tokenizer.vocabSize) tokens but the model's input vocabulary has \(inputVocabulary)")
        }
        if let eos = tokenizer.eosID, Int(eos) != config.eosId {
            FileHandle.standardError.write(Data("warning: tokenizer <eos> is \(eos) but config eos_id is \(config.eosId); decoding stops at \(config.eosId)\n".utf8))
        }
    }

    func encoderDecoder(for command: String) throws -> EncoderDecoderModel {
        guard case .encoderDecoder(let m) = model else {
            throw DecodingCommandError("\(command) needs an encoder-decoder model, but this one is \(config.family.rawValue)")
        }
        return m
    }

    func decoderOnly(for command: String) throws -> DecoderOnlyModel {
        guard case .decoderOnly(let m) = model else {
            throw DecodingCommandError("\(command) needs a decoder-only model, but this one is \(config.family.rawValue)")
        }
        return m
    }

    /// Source ids as training collates them (`EncoderDecoderModel.sourceSequence`), cut to `limit`
    /// with a warning naming `place` (file:line); nil for a blank line.
    func sourceIDs(_ line: String, model: EncoderDecoderModel, limit: InputLengthLimit, place: String) -> [Int32]? {
        guard !line.allSatisfy(\.isWhitespace) else { return nil }
        let tokens = tokenizer.encode(line)
        let (ids, originalCount) = limit.apply(tokens, suffix: model.sourceSequence([]))
        if let originalCount { warnTruncated(place, originalCount, limit) }
        return ids
    }

    /// The text of a hypothesis, without its <eos> and special tokens, on one line.
    func text(_ h: Hypothesis) -> String {
        let s = tokenizer.decode(h.content(eos: Int32(config.eosId)), skipSpecial: true)
        return String(s.map { $0.isNewline ? " " : $0 })
    }
}

/// The warning every command gives for an input cut to the length limit.
func warnTruncated(_ place: String, _ count: Int, _ limit: InputLengthLimit) {
    FileHandle.standardError.write(Data(("warning: \(place): input has \(count) tokens; only the first \(limit.maxTokens) are used "
                                         + "(--max-input-length)\n").utf8))
}

/// Decoding options shared by translate and evaluate.
struct SearchOptions: ParsableArguments {
    @Option(help: "Beam size, 1...1024; 1 is greedy decoding (the paper used 4).")
    var beam = 4

    @Option(help: "GNMT length penalty α: hypotheses are ranked by log P / ((5 + |Y|)/6)^α.")
    var lengthPenalty: Float = 0.6

    @Option(help: "Sentences decoded together.")
    var batchSize = 32

    @Option(help: "Output length cap a·|source| + b tokens: a.")
    var maxLengthA: Double = 1

    @Option(help: "Output length cap a·|source| + b tokens: b (the paper: input length + 50).")
    var maxLengthB = 50

    @Option(help: "Longest source in tokens (with <eos>); longer lines are cut to it, with a warning naming the line.")
    var maxInputLength = InputLengthLimit.defaultTokens

    @Option(help: "Threads (default: TRANSFORMER_THREADS or the core count).")
    var threads: Int?

    var inputLimit: InputLengthLimit { InputLengthLimit(maxTokens: maxInputLength) }

    func validate() throws {
        guard maxInputLength >= 2 && maxInputLength <= 1_000_000 else { throw ValidationError("--max-input-length must be in 2...1000000") }
        // Beyond a few hundred, time grows faster than the beam (beam 1000: ~15 s for one short
        // sentence here); a cap turns a typo such as 100000 into an error instead of a hang.
        guard beam >= 1 && beam <= 1024 else { throw ValidationError("--beam must be in 1...1024") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard lengthPenalty.isFinite && lengthPenalty >= 0 else { throw ValidationError("--length-penalty must be a finite number ≥ 0") }
        guard maxLengthA.isFinite && maxLengthA >= 0 && maxLengthA <= 1000 else { throw ValidationError("--max-length-a must be in [0, 1000]") }
        guard maxLengthB >= 0 && maxLengthB <= 1_000_000 else { throw ValidationError("--max-length-b must be in [0, 1000000]") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
    }

    func translationOptions(nBest: Int = 1) -> TranslationOptions {
        if let threads { ThreadPool.shared.threadCount = threads }
        var o = TranslationOptions()
        o.beamSize = beam
        o.lengthPenalty = lengthPenalty
        o.batchSize = batchSize
        o.maxLengthA = maxLengthA
        o.maxLengthB = maxLengthB
        o.nBest = min(nBest, beam)
        return o
    }
}

/// A problem found while running (a missing file, the wrong kind of model): reported without usage.
struct DecodingCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
