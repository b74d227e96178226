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

/// log Σ exp over a row of `count` logits, and then the suppressed tokens set to −∞: they are never
/// chosen, and log-probabilities stay those of the model's distribution (as transformers' bad-words
/// processor leaves them), or are renormalised over the other tokens (its `renormalize_logits`).
func normaliser(_ z: UnsafeMutablePointer<Float>, _ count: Int, suppressing ids: [Int32], renormalize: Bool) -> Float {
    if renormalize { for id in ids where Int(id) < count { z[Int(id)] = -.infinity } }
    let lse = Kernels.logSumExp(z, count)
    for id in ids where Int(id) < count { z[Int(id)] = -.infinity }
    return lse
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
/// or at its maximum length (counting the <eos>).
public struct StoppingCriteria: Sendable {
    public var eos: Int32
    public var minLength: Int
    public var maxLengths: [Int]

    public init(eos: Int32, minLength: Int = 0, maxLengths: [Int]) {
        self.eos = eos
        self.minLength = minLength
        self.maxLengths = maxLengths
    }
}
