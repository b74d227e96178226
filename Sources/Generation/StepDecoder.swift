// What every search needs from a model (the paper, §3.1: the decoder generates one symbol at a
// time, consuming the previous ones): logits for the next token of each row, given new tokens
// and the cached state of the earlier ones.
import Models

public protocol StepDecoder: AnyObject {
    /// int32 tokens [R, T] → next-token logits [R, V]; appends the tokens to `state`.
    func decodeStep(_ tokens: Tensor, state: IncrementalState) -> Tensor
    /// The most positions a sequence may have, or nil when unbounded.
    var positionLimit: Int? { get }
    /// Tokens no search may produce (the config's `suppressed_ids`, e.g. Marian's pad).
    var suppressedTokens: [Int32] { get }
}

extension StepDecoder {
    public var suppressedTokens: [Int32] { [] }
}

extension EncoderDecoderModel: StepDecoder {
    public var suppressedTokens: [Int32] { config.suppressedIds.map { Int32($0) } }
}

extension DecoderOnlyModel: StepDecoder {
    public var suppressedTokens: [Int32] { config.suppressedIds.map { Int32($0) } }
}

/// log Σ exp over a row of `count` logits, and then the tokens this step may not produce set to −∞
/// (the suppressed ones, `blocked` — <eos> before the minimum length — and, when a token is
/// `forced`, every other): they are never chosen, and log-probabilities stay those of the model's
/// distribution (transformers applies its processors after log-softmax), or are renormalised over
/// the tokens left (its `renormalize_logits`).
func normaliser(_ z: UnsafeMutablePointer<Float>, _ count: Int, suppressing ids: [Int32], renormalize: Bool,
                blocking blocked: Int? = nil, forcing forced: Int? = nil) -> Float {
    let full = renormalize ? 0 : Kernels.logSumExp(z, count)
    let kept = forced.map { z[$0] }
    for id in ids where Int(id) < count { z[Int(id)] = -.infinity }
    if let blocked, blocked < count { z[blocked] = -.infinity }
    if let forced, let kept {
        z.update(repeating: -.infinity, count: count)
        z[forced] = kept
    }
    return renormalize ? Kernels.logSumExp(z, count) : full
}

/// One output sequence: its tokens (with the final <eos> if it produced one), the sum of their
/// log-probabilities, and the score searches rank by (log-probability over the length penalty).
public struct Hypothesis: Equatable, Sendable {
    public var tokens: [Int32]
    public var logProbability: Float
    public var score: Float

    public init(tokens: [Int32], logProbability: Float, score: Float) {
        self.tokens = tokens
        self.logProbability = logProbability
        self.score = score
    }

    /// The tokens without a final `eos`.
    public func content(eos: Int32) -> [Int32] { tokens.last == eos ? Array(tokens.dropLast()) : tokens }
}

/// Where each sentence must stop: at `eos`, which may only come after `minLength` other tokens,
/// or at its maximum length (counting the <eos>), whose last token is `forcedAtCap` when set
/// (transformers' forced_eos_token_id, which Marian models set to </s>).
public struct StoppingCriteria: Sendable {
    public var eos: Int32
    public var minLength: Int
    public var maxLengths: [Int]
    public var forcedAtCap: Int32?
    /// A minimum length of each sentence's own, beside `minLength` (a predicted length's window).
    public var minLengths: [Int]?

    public init(eos: Int32, minLength: Int = 0, maxLengths: [Int], forcedAtCap: Int32? = nil, minLengths: [Int]? = nil) {
        self.eos = eos
        self.minLength = minLength
        self.maxLengths = maxLengths
        self.forcedAtCap = forcedAtCap
        self.minLengths = minLengths
    }

    /// Whether <eos> may not be the `length`-th token of a sentence (too few tokens before it).
    func blocksEOS(length: Int, sentence: Int) -> Bool {
        length <= Swift.max(minLength, minLengths?[sentence] ?? 0)
    }

    /// The token forced as the `length`-th of a sentence, if any.
    func forced(length: Int, sentence: Int) -> Int? {
        guard let forcedAtCap, length == maxLengths[sentence] else { return nil }
        return Int(forcedAtCap)
    }
}
