// chrF (Popović, 2015) with sacreBLEU's defaults: character n-grams n = 1...6, whitespace removed,
// no word n-grams, β = 2, and sacreBLEU's effective-order averaging (its default, eps_smoothing off):
//   P = mean over orders of matchedₙ / hypₙ,  R = mean over orders of matchedₙ / refₙ,
//   chrF = 100 · (1 + β²) · P · R / (β² · P + R),
// where only orders with hypₙ > 0 and refₙ > 0 enter the means and the counts are summed over the
// corpus first. With several references a segment takes the counts of the reference with the best
// segment-level chrF (the first one on ties).

import Foundation

public enum CHRF {
    public static let charOrder = 6
    public static let beta = 2

    /// Corpus chrF; `references` holds one array per reference stream, each parallel to `hypotheses`.
    public static func corpusScore(hypotheses: [String], references: [[String]]) throws -> CHRFScore {
        try EvaluationError.checkParallel(hypotheses: hypotheses, references: references)
        var corpus = [OrderStatistics](repeating: OrderStatistics(), count: charOrder)
        for (index, hypothesis) in hypotheses.enumerated() {
            let segment = segmentStatistics(hypothesis: hypothesis, references: references.map { $0[index] })
            for n in 0..<charOrder { corpus[n] += segment[n] }
        }
        return CHRFScore(score: fScore(corpus))
    }

    /// chrF of one segment against its references.
    public static func sentenceScore(hypothesis: String, references: [String]) throws -> CHRFScore {
        guard !references.isEmpty else { throw EvaluationError.noReferences }
        return CHRFScore(score: fScore(segmentStatistics(hypothesis: hypothesis, references: references)))
    }

    /// Character n-gram counts of one order; they add up over segments.
    struct OrderStatistics {
        var hypothesis = 0
        var reference = 0
        var matched = 0

        static func += (lhs: inout OrderStatistics, rhs: OrderStatistics) {
            lhs.hypothesis += rhs.hypothesis
            lhs.reference += rhs.reference
            lhs.matched += rhs.matched
        }
    }

    typealias NGramCounts = [ArraySlice<Unicode.Scalar>: Int]

    static func segmentStatistics(hypothesis: String, references: [String]) -> [OrderStatistics] {
        let hypothesisCounts = nGramCounts(hypothesis)
        var best: [OrderStatistics] = []
        var bestScore = -1.0
        for reference in references {
            let statistics = zip(hypothesisCounts, nGramCounts(reference)).map(match)
            let score = fScore(statistics)
            if score > bestScore {
                bestScore = score
                best = statistics
            }
        }
        return best
    }

    private static func match(_ hypothesis: NGramCounts, _ reference: NGramCounts) -> OrderStatistics {
        var statistics = OrderStatistics()
        for (gram, count) in hypothesis {
            statistics.hypothesis += count
            statistics.matched += min(count, reference[gram] ?? 0)
        }
        // sacreBLEU counts no hypothesis n-grams of an order the reference is too short to have,
        // so that order drops out of the effective order.
        if reference.isEmpty { statistics.hypothesis = 0 }
        statistics.reference = reference.values.reduce(0, +)
        return statistics
    }

    /// Counts of the character n-grams of orders 1...charOrder (index n − 1), whitespace removed.
    private static func nGramCounts(_ segment: String) -> [NGramCounts] {
        let characters = Array(segment.unicodeScalars.lazy.filter { !$0.isPythonWhitespace })
        return (1...charOrder).map { n in
            var counts = NGramCounts()
            if characters.count >= n {
                for start in 0...(characters.count - n) { counts[characters[start..<(start + n)], default: 0] += 1 }
            }
            return counts
        }
    }

    static func fScore(_ statistics: [OrderStatistics]) -> Double {
        var precision = 0.0
        var recall = 0.0
        var effectiveOrder = 0
        for order in statistics where order.hypothesis > 0 && order.reference > 0 {
            precision += Double(order.matched) / Double(order.hypothesis)
            recall += Double(order.matched) / Double(order.reference)
            effectiveOrder += 1
        }
        guard effectiveOrder > 0 else { return 0 }
        precision /= Double(effectiveOrder)
        recall /= Double(effectiveOrder)
        guard precision + recall > 0 else { return 0 }
        let factor = Double(beta * beta)
        return 100 * ((1 + factor) * precision * recall / (factor * precision + recall))
    }
}

public struct CHRFScore: Sendable, Equatable, CustomStringConvertible {
    /// chrF on a 0–100 scale.
    public let score: Double

    /// sacreBLEU's metric name, "chrF2".
    public var name: String { "chrF\(CHRF.beta)" }

    /// sacreBLEU's line, e.g. "chrF2 = 56.78".
    public var description: String { "\(name) = " + String(format: "%.2f", score) }
}
