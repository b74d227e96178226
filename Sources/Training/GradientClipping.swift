// Gradient clipping by global norm: with ‖g‖ = √(Σ_p Σ_i g_pi²) over every parameter,
// all gradients are scaled by min(1, maxNorm / (‖g‖ + 1e-6)) (as torch.nn.utils.clip_grad_norm_).
import Models

public enum GradientClipping {
    /// The global L2 norm of the gradients (parameters without one count as zero); summed in
    /// Double so the norm is the same whatever the parameter count. Non-finite when any element is.
    public static func globalNorm(_ parameters: [Tensor]) -> Double {
        var total = 0.0
        for p in parameters {
            guard let g = p.grad else { continue }
            let x = g.data
            var s: Float = 0
            var partial = 0.0
            // Float partial sums in blocks keep the loop vectorised; Double across blocks keeps precision.
            for start in stride(from: 0, to: g.count, by: 4096) {
                s = 0
                for i in start..<Swift.min(start + 4096, g.count) { s += x[i] * x[i] }
                partial += Double(s)
            }
            total += partial
        }
        return total.squareRoot()
    }

    /// Scales the gradients so their global norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public static func clip(_ parameters: [Tensor], maxNorm: Float) -> Double {
        let norm = globalNorm(parameters)
        let factor = Float(Double(maxNorm) / (norm + 1e-6))
        if norm.isFinite && factor < 1 {
            for p in parameters { if let g = p.grad { scale(g, by: factor) } }
        }
        return norm
    }

    static func scale(_ t: Tensor, by factor: Float) {
        let x = t.data
        Kernels.parallelElements(t.count) { r in for i in r { x[i] *= factor } }
    }
}
