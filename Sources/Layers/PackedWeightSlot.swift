// Where a layer with a packable weight (Linear, TokenEmbedding) keeps its copy packed for
// inference in bfloat16 or int8: made on first use and again once the weight or the precision
// changes. One loaded model decodes on several threads at once (a server's requests), so the
// first of them to need the packed weight makes it under a lock, held for a pointer check once packed.
import Foundation

final class PackedWeightSlot {
    private var packed: PackedWeight?
    private let lock = NSLock()

    /// The packed weight for `weight` (+ `bias`) in `precision`, packed now if missing or stale; a
    /// released weight (a meta tensor) keeps what is packed.
    func packedWeight(_ weight: Tensor, bias: Tensor?, precision: InferencePrecision) -> PackedWeight {
        lock.lock(); defer { lock.unlock() }
        if let packed, !weight.hasValues || packed.matches(weight: weight, bias: bias) { return packed }
        let fresh = PackedWeight(weight: weight, bias: bias, precision: precision)
        packed = fresh
        return fresh
    }

    /// Holds `packed` as the weight from now on, in its precision, the float weight released.
    func adopt(_ packed: PackedWeight, weight: inout Tensor, precision: inout InferencePrecision) {
        lock.lock()
        self.packed = packed
        lock.unlock()
        precision = packed.precision
        weight = Tensor(metaShape: weight.shape)
    }

    /// Moves the layer to `precision`: from the packed values when they are all that is left
    /// (dequantized), dropping a packing in another precision; with `release`, packs now and keeps only that.
    func switchPrecision(to precision: InferencePrecision, from current: inout InferencePrecision, weight: inout Tensor,
                         bias: Tensor?, releasingFloatWeight release: Bool) {
        lock.lock()
        let held = packed
        if precision != current { packed = nil }
        lock.unlock()
        if let held, !weight.hasValues, precision != held.precision {
            let rows = weight.shape[0]
            weight = parameter(held.rows(Tensor(ints: (0..<Int32(rows)).map { $0 }, shape: [rows])))
        }
        current = precision
        if release && precision != .f32 && weight.hasValues {
            _ = packedWeight(weight, bias: bias, precision: precision)
            weight = Tensor(metaShape: weight.shape)
        }
    }
}
