// A linear layer's weight packed once for decoding (CKernels' packed_linear.c): y = x·Wᵀ + b with
// W streamed panel by panel, no packing per call. Row results do not depend on how many rows are
// computed together or on the thread count, so a sentence decodes the same alone or in a batch.
import CKernels

public final class PackedWeight {
    public let outputs: Int
    public let inputs: Int
    private let panels: Storage
    private let bias: Tensor?
    /// The weight's and bias's `version` when packed: every update made through the library bumps it.
    private let versions: (weight: Int, bias: Int)
    /// A few weight values at fixed places, and the bias's first and last, to notice writes
    /// through raw pointers that bump no version.
    private let samplePlaces: [Int]
    private let samples: [Float]

    /// weight: [out, in] (PyTorch's Linear layout); bias: [out] or nil. The values are copied.
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2 && bias.map { $0.shape == [weight.shape[0]] } ?? true,
                     "PackedWeight: weight \(weight.shape) and bias \(bias?.shape ?? []) do not fit")
        (outputs, inputs) = (weight.shape[0], weight.shape[1])
        let panelCount = (outputs + Int(TK_PANEL) - 1) / Int(TK_PANEL)
        panels = Storage(byteCount: max(1, panelCount * Int(TK_PANEL) * inputs) * 4)
        tk_pack_linear_panels(weight.data, Int64(outputs), Int64(inputs), panels.pointer.assumingMemoryBound(to: Float.self))
        self.bias = bias?.copy()
        versions = (weight.version, bias?.version ?? 0)
        let n = weight.count
        samplePlaces = n == 0 ? [] : (0..<8).map { ($0 * 7919 + $0 * n / 8) % n }
        samples = samplePlaces.map { weight.data[$0] } + PackedWeight.biasEnds(bias)
    }

    private static func biasEnds(_ bias: Tensor?) -> [Float] {
        guard let b = bias, b.count > 0 else { return [] }
        return [b.data[0], b.data[b.count - 1]]
    }

    /// Whether this still holds `weight` and `bias` as they are now (checked every decoding step,
    /// so without allocating).
    public func matches(weight: Tensor, bias: Tensor?) -> Bool {
        guard weight.rank == 2, weight.shape[0] == outputs, weight.shape[1] == inputs,
              versions == (weight.version, bias?.version ?? 0) else { return false }
        let w = weight.data
        for (i, place) in samplePlaces.enumerated() where w[place].bitPattern != samples[i].bitPattern { return false }
        let ends = samplePlaces.count
        guard let b = bias, b.count > 0 else { return samples.count == ends }
        return samples.count == ends + 2 && b.data[0].bitPattern == samples[ends].bitPattern
            && b.data[b.count - 1].bitPattern == samples[ends + 1].bitPattern
    }

    /// x: [..., in] → [..., out].
    public func apply(_ x: Tensor) -> Tensor {
        precondition(x.shape.last == inputs, "PackedWeight: input \(x.shape) does not end in \(inputs)")
        let m = x.count / max(inputs, 1)
        let y = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [outputs])
        let panelCount = (outputs + Int(TK_PANEL) - 1) / Int(TK_PANEL)
        let (px, pw, pb, py) = (x.data, panels.pointer.assumingMemoryBound(to: Float.self), bias?.data, y.data)
        let (n, k) = (Int64(outputs), Int64(inputs))
        func run(_ r: Range<Int>) {
            tk_packed_linear(Int64(m), n, k, px, k, pw, pb, py, n, Int64(r.lowerBound), Int64(r.upperBound))
        }
        // Panels are independent: split them over the pool when the product is big enough.
        if m * outputs * inputs >= 1 << 18 {
            ThreadPool.shared.parallelRanges(panelCount, grain: 1) { run($0) }
        } else {
            run(0..<panelCount)
        }
        return y
    }
}
