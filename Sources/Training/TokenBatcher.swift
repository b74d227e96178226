// Batching by token count: examples of similar length go together (little padding), and a
// batch of B examples padded to lengths S and T obeys B·S ≤ max_tokens and B·T ≤ max_tokens.
// Each epoch's order is a function of (seed, epoch) only, so a resumed run sees the same batches.
import Models

public struct TokenBatcher: Sendable {
    /// Padded lengths the model sees for each example: source (0 for none) and target.
    public let lengths: [(source: Int, target: Int)]
    public let maxTokens: Int
    public let seed: UInt64
    /// Examples too long for any batch (never batched).
    public let skipped: Int

    public init(lengths: [(source: Int, target: Int)], maxTokens: Int, seed: UInt64) {
        self.lengths = lengths
        self.maxTokens = maxTokens
        self.seed = seed
        skipped = lengths.filter { max($0.source, $0.target) > maxTokens }.count
    }

    /// The batches (lists of example indices) of `epoch`: shuffled, bucketed by length, the
    /// batch order shuffled again. Without `shuffle`, sorted by length (for validation).
    public func batches(epoch: Int, shuffle: Bool = true) -> [[Int]] {
        var rng = RandomGenerator(seed: RandomGenerator.bits(seed: seed, counter: UInt64(epoch)))
        var order = Array(lengths.indices.filter { max(lengths[$0].source, lengths[$0].target) <= maxTokens })
        if shuffle { TokenBatcher.shuffle(&order, &rng) }
        // A stable sort keeps the random order among equal lengths.
        order = order.enumerated().sorted { a, b in
            let (x, y) = (lengths[a.element], lengths[b.element])
            return (x.target, x.source, a.offset) < (y.target, y.source, b.offset)
        }.map(\.element)
        var batches: [[Int]] = []
        var current: [Int] = []
        var (maxS, maxT) = (0, 0)
        for i in order {
            let (s, t) = (max(maxS, lengths[i].source), max(maxT, lengths[i].target))
            if !current.isEmpty && (current.count + 1) * max(s, t) > maxTokens {
                batches.append(current)
                current = []
                (maxS, maxT) = (0, 0)
            }
            current.append(i)
            maxS = max(maxS, lengths[i].source)
            maxT = max(maxT, lengths[i].target)
        }
        if !current.isEmpty { batches.append(current) }
        if shuffle { TokenBatcher.shuffle(&batches, &rng) }
        return batches
    }

    static func shuffle<T>(_ a: inout [T], _ rng: inout RandomGenerator) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, rng.nextInt(below: i + 1)) }
    }
}

/// A batch as tensors: int32 ids, padded with the pad id.
public struct TrainingBatch {
    /// [B, S] source ids ending in `<eos>` (encoder-decoder only).
    public let source: Tensor?
    /// [B, T] decoder input: the target shifted right behind `<bos>` (or a text block's first T tokens).
    public let targetIn: Tensor
    /// [B, T] the tokens to predict.
    public let targetOut: Tensor
    /// Non-pad tokens in `targetOut`: what the loss averages over and tokens/s counts.
    public let targetTokens: Int

    /// A batch of ready tensors; `padId` marks the positions the loss skips.
    public init(source: Tensor?, targetIn: Tensor, targetOut: Tensor, padId: Int32) {
        self.init(source: source, targetIn: targetIn, targetOut: targetOut,
                  targetTokens: targetOut.intScalars.filter { $0 != padId }.count)
    }

    /// Collates examples. Translation: source + `<eos>` (as `EncoderDecoderModel.sourceSequence`),
    /// `<bos>` + target → target + `<eos>`.
    /// Language model (empty sources): block[0..<T] → block[1...T].
    public static func collate(_ examples: [Example], padId: Int32, bosId: Int32, eosId: Int32) -> TrainingBatch {
        let b = examples.count
        let isLM = examples.allSatisfy { $0.source.isEmpty }
        let t = examples.map { isLM ? $0.target.count - 1 : $0.target.count + 1 }.max() ?? 0
        var tin = [Int32](repeating: padId, count: b * t), tout = tin
        var tokens = 0
        for (r, e) in examples.enumerated() {
            let input = isLM ? Array(e.target.dropLast()) : [bosId] + e.target
            let output = isLM ? Array(e.target.dropFirst()) : e.target + [eosId]
            for (j, id) in input.enumerated() { tin[r * t + j] = id }
            for (j, id) in output.enumerated() { tout[r * t + j] = id }
            tokens += output.count
        }
        var source: Tensor?
        if !isLM {
            let s = examples.map { $0.source.count + 1 }.max() ?? 0
            var src = [Int32](repeating: padId, count: b * s)
            for (r, e) in examples.enumerated() {
                for (j, id) in (e.source + [eosId]).enumerated() { src[r * s + j] = id }
            }
            source = Tensor(ints: src, shape: [b, s])
        }
        return TrainingBatch(source: source, targetIn: Tensor(ints: tin, shape: [b, t]),
                             targetOut: Tensor(ints: tout, shape: [b, t]), targetTokens: tokens)
    }

    init(source: Tensor?, targetIn: Tensor, targetOut: Tensor, targetTokens: Int) {
        self.source = source
        self.targetIn = targetIn
        self.targetOut = targetOut
        self.targetTokens = targetTokens
    }
}

extension Corpus {
    /// Lengths as the batcher sees them: source + `<eos>`, target + one of `<bos>`/`<eos>`.
    public var batchLengths: [(source: Int, target: Int)] {
        examples.map { $0.source.isEmpty ? (0, $0.target.count - 1) : ($0.source.count + 1, $0.target.count + 1) }
    }
}
