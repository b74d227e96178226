// Masked fill: out = mask ≠ 0 ? value : x, the mask broadcast to x (attention masks).
// Backward passes dy through where the mask is 0.

extension Kernels {
    public static func maskedFill(_ x: Tensor, mask: Tensor, value: Float) -> Tensor {
        let plan = BroadcastPlan(x.shape, mask.shape, op: "maskedFill")
        precondition(plan.outShape == x.shape, "maskedFill: mask \(mask.shape) does not broadcast to \(x.shape)")
        let out = Tensor(uninitializedShape: x.shape)
        let px = x.data, po = out.data
        let pm = mask.valueBytes.assumingMemoryBound(to: UInt32.self)  // 0 bits ⇔ 0 for Float and Int32
        plan.forEachRun { o, xo, mo, n, sx, sm in
            for i in 0..<n { po[o + i] = pm[mo + i * sm] & 0x7FFF_FFFF != 0 ? value : px[xo + i * sx] }
        }
        return out
    }

    /// dx = mask ≠ 0 ? 0 : dy.
    public static func maskedFillBackward(_ dy: Tensor, mask: Tensor) -> Tensor {
        maskedFill(dy, mask: mask, value: 0)
    }
}
