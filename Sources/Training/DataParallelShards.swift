// Data parallelism inside one training step (`training.shards`): a batch's rows split into shards
// that run forward and backward at the same time, one per thread, each collecting its own
// gradients, which are then added to the parameters' in shard order. A small model's products are
// too small to split across threads with profit; whole shards are not. The update depends on the
// number of shards, never on the number of threads that ran them.
import Layers
import Models

extension TrainingBatch {
    /// The rows split into at most `count` contiguous groups of nearly equal size, each trimmed of
    /// the padding columns none of its rows use, with `targetIn` as the decoder input.
    public func shards(_ count: Int, targetIn: Tensor, padId: Int32) -> [TrainingBatch] {
        let rows = targetOut.shape[0]
        let parts = min(count, rows)
        let tin = targetIn.intScalars, tout = targetOut.intScalars, src = source?.intScalars
        let t = targetOut.shape[1], s = source?.shape[1] ?? 0
        return (0..<parts).map { p in
            let range = rows * p / parts ..< rows * (p + 1) / parts
            // The widest row's end: padding only ever follows a row's tokens.
            func width(_ ids: [Int32], _ w: Int) -> Int {
                range.map { r in (0..<w).last { ids[r * w + $0] != padId }.map { $0 + 1 } ?? 0 }.max() ?? 0
            }
            func slice(_ ids: [Int32], _ w: Int, to used: Int) -> Tensor {
                Tensor(ints: range.flatMap { r in ids[r * w ..< r * w + used] }, shape: [range.count, used])
            }
            let used = max(1, width(tout, t))
            let out = slice(tout, t, to: used)
            return TrainingBatch(source: src.map { slice($0, s, to: max(1, width($0, s))) },
                                 targetIn: slice(tin, t, to: used), targetOut: out,
                                 targetTokens: out.intScalars.filter { $0 != padId }.count)
        }
    }
}

extension Trainer {
    /// Forward and backward of `parts` at once, each weighted by its share of `total` target tokens;
    /// returns the weighted loss. Each part draws dropout masks from its own stream, seeded in
    /// part order from the model's, so a resumed run draws the same masks.
    func passInParallel(_ parts: [TrainingBatch], total: Int) -> Double {
        let streams = parts.map { _ in RandomGenerator(seed: model.randomSource.generator.next()) }
        let sinks = parts.map { _ in LeafGradients() }
        var losses = [Double](repeating: 0, count: parts.count)
        let precision = MatmulPrecision.current
        losses.withUnsafeMutableBufferPointer { out in
            ThreadPool.shared.parallelFor(parts.count) { i in
                // Task-local settings do not cross to the pool's threads: each part sets its own.
                MatmulPrecision.with(precision) {
                    RandomSource.withStream(streams[i]) {
                        out[i] = pass(parts[i], targetIn: parts[i].targetIn, total: total, into: sinks[i])
                    }
                }
            }
        }
        for sink in sinks { sink.addToLeaves() }
        return losses.reduce(0, +)
    }
}
