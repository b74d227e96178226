// BLEU (Papineni et al., 2002) as sacreBLEU computes it by default (13a tokens, n ≤ 4, 'exp' smoothing):
//   BLEU = BP · exp( (1/N) Σₙ log pₙ ),   pₙ = 100 · matchedₙ / totalₙ over the whole corpus,
//   BP = 1 if c ≥ r else exp(1 − r/c)   (c = hypothesis tokens, r = closest reference lengths).
// A hypothesis n-gram matches at most as often as it occurs in any one reference (clipping by the
// maximum over references). The reference length of a segment is the one closest to the hypothesis
// length, the shorter one on ties. Smoothing 'exp' (NIST/mteval): the k-th order with zero matches
// gets pₙ = 100 / (2ᵏ · totalₙ).

import Foundation

public enum BLEU {
    public static let maxNGramOrder = 4

    /// Corpus BLEU; `references` holds one array per reference stream, each parallel to `hypotheses`.
    public static func corpusScore(hypotheses: [String], references: [[String]]) throws -> BLEUScore {
        try EvaluationError.checkParallel(hypotheses: hypotheses, references: references)
        var corpus = Statistics()
        for (index, hypothesis) in hypotheses.enumerated() {
            corpus += segmentStatistics(hypothesis: hypothesis, references: references.map { $0[index] })
        }
        return score(corpus, effectiveOrder: false)
    }

    /// Sentence BLEU with effective order (sacreBLEU's `sentence_bleu`): orders with no hypothesis
    /// n-grams at all are left out of the mean instead of zeroing the score.
    public static func sentenceScore(hypothesis: String, references: [String]) throws -> BLEUScore {
        guard !references.isEmpty else { throw EvaluationError.noReferences }
        return score(segmentStatistics(hypothesis: hypothesis, references: references), effectiveOrder: true)
    }

    /// The sufficient statistics of BLEU; they add up over segments.
    struct Statistics {
        var hypothesisLength = 0
        var referenceLength = 0
        var matches = [Int](repeating: 0, count: maxNGramOrder)
        var totals = [Int](repeating: 0, count: maxNGramOrder)

        static func += (lhs: inout Statistics, rhs: Statistics) {
            lhs.hypothesisLength += rhs.hypothesisLength
            lhs.referenceLength += rhs.referenceLength
            for n in 0..<maxNGramOrder {
                lhs.matches[n] += rhs.matches[n]
                lhs.totals[n] += rhs.totals[n]
            }
        }
    }

    typealias NGramCounts = [ArraySlice<Tokenizer13a.Token>: Int]

    static func segmentStatistics(hypothesis: String, references: [String]) -> Statistics {
        let hypothesisTokens = tokens(hypothesis)
        var referenceLengths: [Int] = []
        var clip = [NGramCounts](repeating: [:], count: maxNGramOrder)
        for reference in references {
            let referenceTokens = tokens(reference)
            referenceLengths.append(referenceTokens.count)
            for (n, counts) in nGramCounts(referenceTokens).enumerated() {
                clip[n].merge(counts, uniquingKeysWith: max)
            }
        }
        var statistics = Statistics()
        statistics.hypothesisLength = hypothesisTokens.count
        statistics.referenceLength = closestLength(to: hypothesisTokens.count, among: referenceLengths)
        for (n, counts) in nGramCounts(hypothesisTokens).enumerated() {
            for (gram, count) in counts {
                statistics.totals[n] += count
                statistics.matches[n] += min(count, clip[n][gram] ?? 0)
            }
        }
        return statistics
    }

    /// sacreBLEU strips trailing whitespace of every segment before tokenizing.
    private static func tokens(_ segment: String) -> [Tokenizer13a.Token] {
        Tokenizer13a.tokens(Array(segment.unicodeScalars.droppingTrailingPythonWhitespace()))
    }

    /// Counts of the n-grams of each order 1...maxNGramOrder (index n − 1).
    private static func nGramCounts(_ tokens: [Tokenizer13a.Token]) -> [NGramCounts] {
        (1...maxNGramOrder).map { n in
            var counts = NGramCounts()
            if tokens.count >= n {
                for start in 0...(tokens.count - n) { counts[tokens[start..<(start + n)], default: 0] += 1 }
            }
            return counts
        }
    }

    private static func closestLength(to length: Int, among lengths: [Int]) -> Int {
        lengths.min { (abs($0 - length), $0) < (abs($1 - length), $1) } ?? 0
    }

    static func score(_ s: Statistics, effectiveOrder: Bool) -> BLEUScore {
        var brevityPenalty = 1.0
        if s.hypothesisLength < s.referenceLength {
            brevityPenalty = s.hypothesisLength > 0
                ? exp(1 - Double(s.referenceLength) / Double(s.hypothesisLength)) : 0
        }
        var precisions = [Double](repeating: 0, count: maxNGramOrder)
        var value = 0.0
        // No match at any order: sacreBLEU reports 0 with all precisions 0 (no smoothing applied).
        if s.matches.contains(where: { $0 > 0 }) {
            var smoothing = 1.0
            var order = maxNGramOrder
            for n in 0..<maxNGramOrder {
                if s.totals[n] == 0 { break }
                if effectiveOrder { order = n + 1 }
                if s.matches[n] == 0 {
                    smoothing *= 2
                    precisions[n] = 100 / (smoothing * Double(s.totals[n]))
                } else {
                    precisions[n] = 100 * Double(s.matches[n]) / Double(s.totals[n])
                }
            }
            // A zero precision (an order with no n-grams, without effective order) zeroes the score;
            // sacreBLEU floors log(0) at −9999999999 for that.
            let logSum = precisions[..<order].reduce(0.0) { $0 + ($1 == 0 ? -9_999_999_999 : log($1)) }
            value = brevityPenalty * exp(logSum / Double(order))
        }
        return BLEUScore(
            score: value, matches: s.matches, totals: s.totals, precisions: precisions,
            brevityPenalty: brevityPenalty, hypothesisLength: s.hypothesisLength,
            referenceLength: s.referenceLength)
    }
}

public struct BLEUScore: Sendable, Equatable, CustomStringConvertible {
    /// BLEU on a 0–100 scale.
    public let score: Double
    /// Clipped n-gram matches per order (1...4).
    public let matches: [Int]
    /// Hypothesis n-grams per order.
    public let totals: [Int]
    /// Smoothed precisions per order, 0–100.
    public let precisions: [Double]
    public let brevityPenalty: Double
    public let hypothesisLength: Int
    public let referenceLength: Int

    public var ratio: Double {
        referenceLength > 0 ? Double(hypothesisLength) / Double(referenceLength) : 0
    }

    /// sacreBLEU's line, e.g. "BLEU = 34.12 65.1/40.2/27.3/19.0 (BP = 0.981 ratio = 0.981 hyp_len = 9 ref_len = 9)".
    public var description: String {
        let precisionText = precisions.map { String(format: "%.1f", $0) }.joined(separator: "/")
        return String(format: "BLEU = %.2f ", score) + precisionText
            + String(format: " (BP = %.3f ratio = %.3f ", brevityPenalty, ratio)
            + "hyp_len = \(hypothesisLength) ref_len = \(referenceLength))"
    }
}
