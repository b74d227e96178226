// Batched translation with an encoder-decoder model (the paper, §6.1): sources are grouped into
// batches of similar length, each batch is encoded once, and greedy or beam search decodes it
// with a length cap of a·|source| + b (the paper: input length + 50). Every sentence leaves
// its batch when it finishes, so its output does not depend on the batch it was in.
import Models

public struct TranslationOptions: Sendable {
    /// 1 is greedy decoding.
    public var beamSize = 4
    /// α of the length penalty (beam search only).
    public var lengthPenalty: Float = 0.6
    /// GNMT's length penalty (ours) or transformers' |Y|^α.
    public var lengthNormalization: LengthNormalization = .gnmt
    public var beamStopping: BeamStopping = .beamsFinished
    /// Log-probabilities renormalised without the suppressed tokens (transformers' `renormalize_logits`).
    public var renormalize = false
    public var nBest = 1
    /// Target length cap a·|source| + b tokens, counting <eos>.
    public var maxLengthA: Double = 1
    public var maxLengthB = 50
    /// Tokens that must precede <eos>.
    public var minLength = 0
    /// The last token when a translation reaches its length cap (transformers' forced_eos_token_id).
    public var forcedAtCap: Int32?
    public var batchSize = 32
    /// With a model that has a length head: the translation ends within this many tokens of the
    /// predicted length (<eos> is blocked before, and forced at, the window's ends); nil stops at
    /// <eos> or the cap as usual.
    public var lengthWindow: Int?

    public init() {}
}

public final class Translator {
    public let model: EncoderDecoderModel
    public var options: TranslationOptions

    /// Puts the model in inference mode (no dropout).
    public init(model: EncoderDecoderModel, options: TranslationOptions = TranslationOptions()) {
        self.model = model
        self.options = options
        model.train(false)
    }

    /// The length cap for a source of `length` tokens: a·length + b, and never past the model's
    /// `max_len` (the longest sequence it is built for), so that a runaway input cannot ask for
    /// thousands of target tokens.
    public func maxLength(sourceLength length: Int) -> Int {
        let cap = Int((options.maxLengthA * Double(length)).rounded(.down)) + options.maxLengthB
        return max(0, min(cap, model.config.maxLen))
    }

    /// n-best hypotheses (best first) for each source, in input order. Sources are token ids without
    /// padding; longer ones are truncated to what learned positions allow.
    public func translate(_ sources: [[Int32]]) -> [[Hypothesis]] {
        var results = [[Hypothesis]](repeating: [], count: sources.count)
        let order = sources.indices.sorted { (sources[$0].count, $1) > (sources[$1].count, $0) }
        var start = 0
        while start < order.count {
            let batch = Array(order[start..<min(order.count, start + max(1, options.batchSize))])
            for (i, out) in zip(batch, translateBatch(batch.map { sources[$0] })) { results[i] = out }
            start += batch.count
        }
        return results
    }

    /// One batch, decoded together: n-best hypotheses per source, in order.
    public func translateBatch(_ sources: [[Int32]]) -> [[Hypothesis]] {
        guard !sources.isEmpty else { return [] }
        let limit = model.config.positional == .learned ? model.config.maxLen : Int.max
        let trimmed = sources.map { Array($0.prefix(limit)) }
        let width = max(1, trimmed.map(\.count).max() ?? 1)
        // Padding is marked by position, so a model without a pad id batches too.
        let pad = Int32(model.config.padId ?? 0)
        let ids = trimmed.flatMap { $0 + [Int32](repeating: pad, count: width - $0.count) }
        let padding = Tensor(trimmed.flatMap { s in (0..<width).map { $0 < s.count ? Float(0) : 1 } }, shape: [trimmed.count, width])
        let eos = Int32(model.config.eosId)
        var stopping = StoppingCriteria(eos: eos, minLength: options.minLength,
                                        maxLengths: trimmed.map { maxLength(sourceLength: $0.count) }, forcedAtCap: options.forcedAtCap)
        let start = Int32(model.config.startId)
        return withNoGrad {
            let (memory, _) = model.encode(Tensor(ints: ids, shape: [trimmed.count, width]), padding: padding)
            if let window = options.lengthWindow, let predicted = model.predictLengths(memory: memory, padding: padding) {
                // Lengths count the <eos>: it comes within `window` tokens of the predicted length, never past the cap.
                stopping.maxLengths = zip(stopping.maxLengths, predicted).map { min($0, max(1, $1 + window)) }
                stopping.minLengths = zip(stopping.maxLengths, predicted).map { min($0, $1 - window) - 1 }
                stopping.forcedAtCap = eos
            }
            let state = model.startDecoding(memory: memory, sourcePadding: padding,
                                            capacity: (stopping.maxLengths.max() ?? 0) + 1)
            if options.beamSize == 1 {
                return GreedySearch.run(model: model, state: state, bos: start, stopping: stopping, renormalize: options.renormalize).map { [$0] }
            }
            let search = BeamSearch(beamSize: options.beamSize, lengthPenalty: options.lengthPenalty, nBest: options.nBest,
                                    normalization: options.lengthNormalization, stopping: options.beamStopping,
                                    renormalize: options.renormalize)
            return search.run(model: model, state: state, bos: start, stopping: stopping)
        }
    }
}
