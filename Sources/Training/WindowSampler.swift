// Language-model training batches as nanoGPT's get_batch draws them: each batch is `windows`
// spans of `blockSize + 1` consecutive tokens starting at random offsets of the training stream,
// so every pass sees the text at new alignments. Batch n depends on (seed, n) alone, so a
// resumed run draws exactly what the uninterrupted run would have drawn.
import Models

public struct WindowSampler: Sendable {
    public let stream: [Int32]
    public let blockSize: Int
    public let windows: Int
    public let seed: UInt64

    /// `stream` must hold more than `blockSize` tokens.
    public init(stream: [Int32], blockSize: Int, windows: Int, seed: UInt64) throws {
        guard stream.count > blockSize else {
            throw TrainingError("the training text has \(stream.count) tokens: too few for one window of block_size \(blockSize) + 1")
        }
        guard blockSize >= 1, windows >= 1 else { throw TrainingError("windows need block_size ≥ 1 and at least one window per batch") }
        self.stream = stream
        self.blockSize = blockSize
        self.windows = windows
        self.seed = seed
    }

    /// Batches in one epoch: as many as hold about as many tokens as the stream.
    public var batchesPerEpoch: Int { max(1, (stream.count - 1) / (windows * blockSize)) }

    /// Start offsets of batch `n`'s windows, each in 0...stream.count − blockSize − 1.
    public func offsets(batch n: Int) -> [Int] {
        var g = RandomGenerator(seed: RandomGenerator.bits(seed: seed, counter: UInt64(n)))
        return (0..<windows).map { _ in g.nextInt(below: stream.count - blockSize) }
    }

    /// Batch `n`: inputs [windows, blockSize] and the same windows one token later as targets.
    public func batch(_ n: Int, padId: Int32) -> TrainingBatch {
        let t = blockSize
        var input = [Int32](repeating: 0, count: windows * t), output = input
        for (r, start) in offsets(batch: n).enumerated() {
            for j in 0..<t {
                input[r * t + j] = stream[start + j]
                output[r * t + j] = stream[start + j + 1]
            }
        }
        return TrainingBatch(source: nil, targetIn: Tensor(ints: input, shape: [windows, t]),
                             targetOut: Tensor(ints: output, shape: [windows, t]), padId: padId)
    }
}
