// What every search needs from a model (the paper, §3.1: the decoder generates one symbol at a
// time, consuming the previous ones): logits for the next token of each row, given new tokens
// and the cached state of the earlier ones.
import Models

public protocol StepDecoder: AnyObject {
    /// int32 tokens [R, T] → next-token logits [R, V]; appends the tokens to `state`.
    func decodeStep(_ tokens: Tensor, state: IncrementalState) -> Tensor
    /// The most positions a sequence may have, or nil when unbounded.
    var positionLimit: Int? { get }
}

extension EncoderDecoderModel: StepDecoder {}
extension DecoderOnlyModel: StepDecoder {}

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
