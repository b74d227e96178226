// Perplexity of a language model: PPL = exp( (1/N) Σᵢ −log p(tokenᵢ) ), the exponential of the mean
// negative log-likelihood (natural log) per token.

import Foundation

public enum Perplexity {
    /// Perplexity from per-token negative log-likelihoods; throws on an empty sequence.
    public static func fromNegativeLogLikelihoods<S: Sequence>(_ values: S) throws -> Double
    where S.Element: BinaryFloatingPoint {
        var total = 0.0
        var count = 0
        for value in values {
            total += Double(value)
            count += 1
        }
        return try fromTotal(negativeLogLikelihood: total, tokenCount: count)
    }

    /// Perplexity from a summed negative log-likelihood over `tokenCount` tokens (as a training
    /// loop accumulates it); throws when `tokenCount` is not positive.
    public static func fromTotal(negativeLogLikelihood total: Double, tokenCount: Int) throws -> Double {
        guard tokenCount > 0 else {
            throw EvaluationError.emptyInput("perplexity needs at least one token, got \(tokenCount)")
        }
        return exp(total / Double(tokenCount))
    }
}
