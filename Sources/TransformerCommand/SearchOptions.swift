// What the decoding commands share on the command line: loading a model directory through the
// library's ModelBundle (warnings to stderr), the search flags of translate and evaluate — each
// left unset falls back to the model's own default (ours, or a Hugging Face model's
// generation_config.json) — and the truncation warning.
import ArgumentParser
import Foundation
import Generation
import Models

/// Loads a model directory with its tokenizer (unless `tokenizer` is false) in `precision`, printing its warnings.
func loadBundle(_ path: String, tokenizer: Bool = true, precision: InferencePrecision?) throws -> ModelBundle {
    let bundle = try ModelBundle(directory: path, tokenizer: tokenizer, precision: precision)
    for w in bundle.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
    return bundle
}

/// The warning every command gives for an input cut to the length limit.
func warnTruncated(_ place: String, _ count: Int, _ limit: Int, because reason: String = "--max-input-length") {
    FileHandle.standardError.write(Data("warning: \(place): input has \(count) tokens; only the first \(limit) are used (\(reason))\n".utf8))
}

/// Decoding options shared by translate and evaluate.
struct SearchOptions: ParsableArguments {
    @Option(help: "Beam size, 1...1024; 1 is greedy decoding (default: 4 as in the paper; a Hugging Face model's num_beams).")
    var beam: Int?

    @Option(help: """
        Length penalty α (default: 0.6, GNMT's log P / ((5 + |Y|)/6)^α; for a Hugging Face model its length_penalty, \
        transformers' log P / |Y|^α).
        """)
    var lengthPenalty: Float?

    @Option(help: """
        How --length-penalty divides a hypothesis's log P: gnmt (((5 + |Y|)/6)^α, GNMT's) or power \
        (|Y|^α, transformers', fairseq's and Marian's) (default: the model's; gnmt unless its generation_config.json sets length_penalty).
        """)
    var lengthNormalization: LengthNormalization?

    @Option(help: """
        When a sentence's beam search ends: finished (once it has beam-size finished hypotheses; transformers' \
        early_stopping true) or no-better (once no live hypothesis can beat them; early_stopping false) \
        (default: the model's; finished unless its generation_config.json says otherwise).
        """)
    var beamStopping: BeamStoppingOption?

    @Option(help: "Sentences decoded together.")
    var batchSize = 32

    @Option(help: "Output length cap a·|source| + b tokens: a (default 1; 0 for a Hugging Face model).")
    var maxLengthA: Double?

    @Option(help: "Output length cap a·|source| + b tokens (never past the model's max_len): b (default 50, the paper's; a Hugging Face model's max_length − 1).")
    var maxLengthB: Int?

    @Option(help: "Longest source in tokens (with <eos>); longer lines are cut to it, with a warning naming the line.")
    var maxInputLength = InputLengthLimit.defaultTokens

    @Option(help: """
        For a model trained with a length head (length_head): end each translation within this many tokens \
        of the length the head predicts (0: exactly that length) instead of waiting for <eos>.
        """)
    var lengthWindow: Int?

    @Option(help: "Threads (default: TRANSFORMER_THREADS or the core count).")
    var threads: Int?

    var inputLimit: InputLengthLimit { InputLengthLimit(maxTokens: maxInputLength) }

    func validate() throws {
        guard maxInputLength >= 2 && maxInputLength <= 1_000_000 else { throw ValidationError("--max-input-length must be in 2...1000000") }
        // Beyond a few hundred, time grows faster than the beam (beam 1000: ~15 s for one short
        // sentence here); a cap turns a typo such as 100000 into an error instead of a hang.
        if let beam { guard beam >= 1 && beam <= 1024 else { throw ValidationError("--beam must be in 1...1024") } }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        if let lengthPenalty, !(lengthPenalty.isFinite && lengthPenalty >= 0) { throw ValidationError("--length-penalty must be a finite number ≥ 0") }
        if let maxLengthA, !(maxLengthA.isFinite && maxLengthA >= 0 && maxLengthA <= 1000) { throw ValidationError("--max-length-a must be in [0, 1000]") }
        if let maxLengthB, !(maxLengthB >= 0 && maxLengthB <= 1_000_000) { throw ValidationError("--max-length-b must be in [0, 1000000]") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
        if let lengthWindow, !(0...1000).contains(lengthWindow) { throw ValidationError("--length-window must be in 0...1000") }
    }

    /// The model's defaults with the flags given on top, for `model`.
    func translationOptions(defaults: TranslationOptions, nBest: Int = 1, model: EncoderDecoderModel) throws -> TranslationOptions {
        if let threads { ThreadPool.shared.threadCount = threads }
        var o = defaults
        if let beam { o.beamSize = beam }
        if let lengthPenalty { o.lengthPenalty = lengthPenalty }
        if let lengthNormalization { o.lengthNormalization = lengthNormalization }
        if let beamStopping { o.beamStopping = beamStopping.stopping }
        if let maxLengthA { o.maxLengthA = maxLengthA }
        if let maxLengthB { o.maxLengthB = maxLengthB }
        // A model's default beam may exceed the search's cap: keep it within what --beam allows.
        o.beamSize = min(max(o.beamSize, 1), 1024)
        o.batchSize = batchSize
        guard nBest <= o.beamSize else { throw ValidationError("--n-best (\(nBest)) must be at most the beam size (\(o.beamSize))") }
        o.nBest = nBest
        if let lengthWindow {
            guard model.lengthPredictor != nil else {
                throw DecodingCommandError("--length-window needs a model trained with a length head (length_head in its config); this one has none")
            }
            o.lengthWindow = lengthWindow
        }
        return o
    }
}

/// A problem found while running (a missing file, the wrong kind of model): reported without usage.
struct DecodingCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension LengthNormalization: ExpressibleByArgument {}

/// --beam-stopping's values.
enum BeamStoppingOption: String, ExpressibleByArgument, CaseIterable {
    case finished
    case noBetter = "no-better"

    var stopping: BeamStopping { self == .finished ? .beamsFinished : .noBetterHypothesis }
}
