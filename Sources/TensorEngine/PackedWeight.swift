// A linear layer's weight packed once for inference (CKernels' packed_linear*.c): y = x·Wᵀ + b with
// W streamed panel by panel in float32, bfloat16 or int8, no packing per call. Row results do not
// depend on how many rows are computed together or on the thread count, so a sentence decodes the
// same alone or in a batch.
import CKernels

public final class PackedWeight {
    public let outputs: Int
    public let inputs: Int
    public let precision: InferencePrecision
    private let panels: Storage
    /// int8: the scale of each output row and 128·Σ of its quantized weights, over whole panels.
    private let scales: Storage?
    private let sums: Storage?
    private let bias: Tensor?
    /// What was packed, when it was a float tensor, to notice later changes (see `matches`).
    private let source: PackedSource?

    private static let panel = Int(TK_PANEL)
    private var panelCount: Int { (outputs + PackedWeight.panel - 1) / PackedWeight.panel }

    /// Inputs rounded up to the kernel's unit: pairs for bfloat16, groups of four for int8.
    private static func stride(_ inputs: Int, _ precision: InferencePrecision) -> Int {
        switch precision {
        case .f32: return inputs
        case .bf16: return (inputs + 1) & ~1
        case .int8: return (inputs + 3) & ~3
        }
    }

    private init(outputs: Int, inputs: Int, precision: InferencePrecision, bias: Tensor?, source: PackedSource?) {
        precondition(outputs >= 0 && inputs >= 0 && bias.map { $0.shape == [outputs] } ?? true,
                     "PackedWeight: bias \(bias?.shape ?? []) does not fit \(outputs) outputs")
        (self.outputs, self.inputs, self.bias, self.source) = (outputs, inputs, bias?.copy(), source)
        // int8 sums stay exact up to int8MaxInputs; wider layers keep bfloat16.
        self.precision = precision == .int8 && inputs > InferencePrecision.int8MaxInputs ? .bf16 : precision
        let padded = (outputs + PackedWeight.panel - 1) / PackedWeight.panel * PackedWeight.panel
        let elements = padded * PackedWeight.stride(inputs, self.precision)
        panels = Storage(byteCount: max(1, elements * self.precision.bytesPerWeight))
        scales = self.precision == .int8 ? Storage(byteCount: max(1, padded) * 4) : nil
        sums = self.precision == .int8 ? Storage(byteCount: max(1, padded) * 4) : nil
    }

    /// weight: [out, in] (PyTorch's Linear layout); bias: [out] or nil. The values are copied (and
    /// rounded to bfloat16 or quantized to int8 per output row).
    public convenience init(weight: Tensor, bias: Tensor?, precision: InferencePrecision = .f32) {
        precondition(weight.rank == 2, "PackedWeight: weight \(weight.shape) is not a matrix")
        let (n, k) = (weight.shape[0], weight.shape[1])
        self.init(outputs: n, inputs: k, precision: precision, bias: bias, source: PackedSource(weight: weight, bias: bias))
        switch self.precision {
        case .f32:
            tk_pack_linear_panels(weight.data, Int64(n), Int64(k), panels.pointer.assumingMemoryBound(to: Float.self))
        case .bf16:
            // One long row: rounded as activations are, padded by one value at most.
            var bits = [UInt16](repeating: 0, count: n * k + 1)
            tk_round_rows_bf16(weight.data, Int64(n * k), 1, Int64(n * k), &bits)
            packBF16(bits)
        case .int8:
            var q = [Int8](repeating: 0, count: n * k)
            tk_quantize_rows_int8(weight.data, Int64(k), Int64(n), Int64(k), &q, Int64(k), scales!.pointer.assumingMemoryBound(to: Float.self))
            packInt8(q, scales: nil)
        }
    }

    /// int8 weights as stored ([out, in] row-major, values in −127...127) with one scale per output
    /// row: W[j, p] = values[j·in + p]·scales[j]. Packed as they are, so nothing is quantized twice.
    /// A layer wider than `InferencePrecision.int8MaxInputs` is held in bfloat16 instead.
    public convenience init(int8Values: [Int8], scales: [Float], outputs: Int, inputs: Int, bias: Tensor?) {
        precondition(int8Values.count == outputs * inputs && scales.count == outputs,
                     "PackedWeight: \(int8Values.count) int8 values and \(scales.count) scales for \(outputs)×\(inputs)")
        self.init(outputs: outputs, inputs: inputs, precision: .int8, bias: bias, source: nil)
        if precision == .int8 {
            packInt8(int8Values, scales: scales)
        } else {
            packBF16((0..<(outputs * inputs)).map { tk_bf16_from_float(Float(int8Values[$0]) * scales[$0 / max(inputs, 1)]) })
        }
    }

    private func packBF16(_ bits: [UInt16]) {
        tk_pack_linear_bf16(bits, Int64(outputs), Int64(inputs), panels.pointer.assumingMemoryBound(to: UInt16.self))
    }

    /// Packs int8 rows; `scales` (nil: already written by the quantizer) are copied, zero past `outputs`.
    private func packInt8(_ values: [Int8], scales given: [Float]?) {
        let s = scales!.pointer.assumingMemoryBound(to: Float.self)
        if let given { for j in 0..<outputs { s[j] = given[j] } }
        for j in outputs..<(panelCount * PackedWeight.panel) { s[j] = 0 }
        tk_pack_linear_int8(values, Int64(outputs), Int64(inputs), panels.pointer.assumingMemoryBound(to: Int8.self),
                            sums!.pointer.assumingMemoryBound(to: Int32.self))
    }

    /// Bytes read per product: the packed weights, their scales and sums, and the bias.
    public var byteCount: Int {
        panels.byteCount + (scales?.byteCount ?? 0) + (sums?.byteCount ?? 0) + (bias?.count ?? 0) * 4
    }

    /// Whether this still holds `weight` and `bias` as they are now (checked every decoding step,
    /// so without allocating). False for weights packed from stored bfloat16 or int8 values.
    public func matches(weight: Tensor, bias: Tensor?) -> Bool {
        guard weight.shape == [outputs, inputs], let source else { return false }
        return source.matches(weight: weight, bias: bias)
    }

    /// x: [..., in] → [..., out], with max(0, ·) applied when `relu`. `bias` [out], when given, is
    /// added instead of the packed one (a tied output layer's, beside an embedding table packed
    /// without one), in the same epilogue.
    public func apply(_ x: Tensor, relu: Bool = false, bias given: Tensor? = nil) -> Tensor {
        precondition(x.shape.last == inputs, "PackedWeight: input \(x.shape) does not end in \(inputs)")
        precondition(given.map { $0.shape == [outputs] } ?? true, "PackedWeight: bias \(given?.shape ?? []) for \(outputs) outputs")
        let rows = x.shape.dropLast().reduce(1, *)
        let y = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [outputs])
        let (m, n, k, ldy) = (Int64(rows), Int64(outputs), Int64(inputs), Int64(outputs))
        let (px, pb, py, act) = (x.data, (given ?? bias)?.data, y.data, Int32(relu ? 1 : 0))
        let stride = PackedWeight.stride(inputs, precision)
        let run: (Range<Int>) -> Void
        // The activations are rounded or quantized once, on this thread, before the panels split.
        var scratch: (Storage, Storage?)?
        switch precision {
        case .f32:
            let pw = panels.pointer.assumingMemoryBound(to: Float.self)
            run = { r in tk_packed_linear(m, n, k, px, k, pw, pb, py, ldy, Int64(r.lowerBound), Int64(r.upperBound), act) }
        case .bf16:
            let xb = Storage(byteCount: max(1, rows * stride) * 2)
            let (pxb, pw) = (xb.pointer.assumingMemoryBound(to: UInt16.self), panels.pointer.assumingMemoryBound(to: UInt16.self))
            tk_round_rows_bf16(px, k, m, k, pxb)
            scratch = (xb, nil)
            run = { r in tk_packed_linear_bf16(m, n, k, pxb, pw, pb, py, ldy, Int64(r.lowerBound), Int64(r.upperBound), act) }
        case .int8:
            let xq = Storage(byteCount: max(1, rows * stride)), xs = Storage(byteCount: max(1, rows) * 4)
            let (pxq, pxs) = (xq.pointer.assumingMemoryBound(to: UInt8.self), xs.pointer.assumingMemoryBound(to: Float.self))
            let pw = panels.pointer.assumingMemoryBound(to: Int8.self)
            let (ps, psum) = (scales!.pointer.assumingMemoryBound(to: Float.self), sums!.pointer.assumingMemoryBound(to: Int32.self))
            tk_quantize_rows_u8(px, k, m, k, pxq, Int64(stride), pxs)
            scratch = (xq, xs)
            run = { r in
                tk_packed_linear_int8(m, n, k, pxq, pxs, pw, ps, psum, pb, py, ldy, Int64(r.lowerBound), Int64(r.upperBound), act)
            }
        }
        // Panels are independent: split them over the pool when the product is big enough.
        if rows * outputs * inputs >= 1 << 18 {
            ThreadPool.shared.parallelRanges(panelCount, grain: 1) { run($0) }
        } else {
            run(0..<panelCount)
        }
        withExtendedLifetime((scratch, given)) {}
        return y
    }

    /// Rows `ids` of W as float32 (dequantized for int8): [ids..., in]. An embedding table held
    /// packed serves lookups through this.
    public func rows(_ ids: Tensor) -> Tensor {
        precondition(ids.dtype == .int32, "PackedWeight.rows: ids must be int32")
        let out = Tensor(uninitializedShape: ids.shape + [inputs])
        let p = ids.intData, o = out.data
        for i in 0..<ids.count {
            precondition(p[i] >= 0 && Int(p[i]) < outputs, "PackedWeight.rows: id \(p[i]) out of range for \(outputs) rows")
        }
        let (count, k) = (Int64(ids.count), Int64(inputs))
        switch precision {
        case .f32:
            let w = panels.pointer.assumingMemoryBound(to: Float.self), width = PackedWeight.panel
            for i in 0..<ids.count {
                let j = Int(p[i]), base = w + (j / width) * width * inputs + j % width
                for c in 0..<inputs { o[i * inputs + c] = base[c * width] }
            }
        case .bf16:
            tk_packed_rows_bf16(panels.pointer.assumingMemoryBound(to: UInt16.self), k, p, count, o)
        case .int8:
            tk_packed_rows_int8(panels.pointer.assumingMemoryBound(to: Int8.self), scales!.pointer.assumingMemoryBound(to: Float.self),
                                k, p, count, o)
        }
        return out
    }
}

/// The float tensors a weight was packed from, as they were: versions and a few sampled values.
private struct PackedSource {
    /// The weight's and bias's `version` when packed: every update made through the library bumps it.
    let versions: (weight: Int, bias: Int)
    /// A few weight values at fixed places, and the bias's first and last, to notice writes
    /// through raw pointers that bump no version.
    let samplePlaces: [Int]
    let samples: [Float]

    init(weight: Tensor, bias: Tensor?) {
        versions = (weight.version, bias?.version ?? 0)
        let n = weight.count
        samplePlaces = n == 0 ? [] : (0..<8).map { ($0 * 7919 + $0 * n / 8) % n }
        samples = samplePlaces.map { weight.data[$0] } + PackedSource.biasEnds(bias)
    }

    private static func biasEnds(_ bias: Tensor?) -> [Float] {
        guard let b = bias, b.count > 0 else { return [] }
        return [b.data[0], b.data[b.count - 1]]
    }

    func matches(weight: Tensor, bias: Tensor?) -> Bool {
        guard versions == (weight.version, bias?.version ?? 0) else { return false }
        let w = weight.data
        for (i, place) in samplePlaces.enumerated() where w[place].bitPattern != samples[i].bitPattern { return false }
        let ends = samplePlaces.count
        guard let b = bias, b.count > 0 else { return samples.count == ends }
        return samples.count == ends + 2 && b.data[0].bitPattern == samples[ends].bitPattern
            && b.data[b.count - 1].bitPattern == samples[ends + 1].bitPattern
    }
}
