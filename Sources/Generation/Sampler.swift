// Sampling the next token of a language model: divide the logits by a temperature T (T → 0 is
// greedy, T > 1 flattens), keep the k most probable tokens (top-k, Fan et al., 2018) and/or
// the smallest set whose probability reaches p (top-p / nucleus, Holtzman et al., 2020), then
// draw from the renormalised distribution with a seeded generator, so a seed fixes the text.
import Foundation
import Models

public struct Sampler: Sendable {
    public var temperature: Float
    public var topK: Int?
    public var topP: Float?
    public var generator: RandomGenerator

    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, seed: UInt64) {
        precondition(temperature >= 0 && temperature.isFinite, "Sampler: temperature must be ≥ 0")
        precondition((topK ?? 1) >= 1 && (topP.map { $0 > 0 && $0 <= 1 } ?? true), "Sampler: top-k must be ≥ 1 and top-p in (0, 1]")
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        generator = RandomGenerator(seed: seed)
    }

    /// The tokens that may be drawn from `logits` and their probabilities: most probable first
    /// (ties: lower id first) when top-k or top-p filter them, else in id order. With temperature 0
    /// only the most probable token remains.
    public func distribution(_ logits: [Float]) -> [(id: Int32, probability: Float)] {
        let n = logits.count
        guard n > 0 else { return [] }
        let nucleus = topP.map { $0 < 1 } ?? false
        let order: [Int] = logits.withUnsafeBufferPointer { z in
            let p = z.baseAddress!
            if temperature == 0 { return [Kernels.top(1, p, n)[0].id] }
            if let topK, topK < n { return Kernels.top(topK, p, n).map(\.id) }
            return nucleus ? Array(0..<n).sorted { (z[$0], $1) > (z[$1], $0) } : Array(0..<n)
        }
        if temperature == 0 { return [(Int32(order[0]), 1)] }
        let m = order.reduce(-Float.infinity) { max($0, logits[$1]) }
        var probabilities = order.map { exp((logits[$0] - m) / temperature) }
        var total = probabilities.reduce(0, +)
        if let topP, nucleus {
            // The smallest prefix whose probability reaches p.
            var kept = 0, mass: Float = 0
            while kept < probabilities.count && (kept == 0 || mass < topP * total) { mass += probabilities[kept]; kept += 1 }
            probabilities.removeLast(probabilities.count - kept)
            total = mass
        }
        return probabilities.enumerated().map { (Int32(order[$0.offset]), $0.element / total) }
    }

    /// Draws the next token from `logits`.
    public mutating func sample(_ logits: [Float]) -> Int32 {
        let candidates = distribution(logits)
        guard candidates.count > 1 else { return candidates.first?.id ?? 0 }
        let u = generator.nextFloat()
        var cumulative: Float = 0
        for c in candidates {
            cumulative += c.probability
            if u < cumulative { return c.id }
        }
        return candidates[candidates.count - 1].id
    }
}
