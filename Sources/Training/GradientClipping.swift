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
            total += sumOfSquares(g.data, g.count)
        }
        return total.squareRoot()
    }

    /// Σ x² as Float sums over blocks of 4096 elements, each in element order, added in Double in
    /// block order (a block's Float sum keeps the loop fast, Double across blocks keeps precision).
    /// Eight blocks run side by side: one sum is a chain of dependent adds, so eight chains at a
    /// time take about the time of one, and every block's sum keeps its order and so its bits.
    static func sumOfSquares(_ x: UnsafePointer<Float>, _ count: Int) -> Double {
        let block = 4096
        var partial = 0.0
        var start = 0
        while start + 8 * block <= count {
            var s: (Float, Float, Float, Float, Float, Float, Float, Float) = (0, 0, 0, 0, 0, 0, 0, 0)
            for i in start..<(start + block) {
                let (a, b, c, d) = (x[i], x[i + block], x[i + 2 * block], x[i + 3 * block])
                let (e, f, g, h) = (x[i + 4 * block], x[i + 5 * block], x[i + 6 * block], x[i + 7 * block])
                s.0 += a * a; s.1 += b * b; s.2 += c * c; s.3 += d * d
                s.4 += e * e; s.5 += f * f; s.6 += g * g; s.7 += h * h
            }
            partial += Double(s.0); partial += Double(s.1); partial += Double(s.2); partial += Double(s.3)
            partial += Double(s.4); partial += Double(s.5); partial += Double(s.6); partial += Double(s.7)
            start += 8 * block
        }
        for first in stride(from: start, to: count, by: block) {
            var s: Float = 0
            for i in first..<Swift.min(first + block, count) { s += x[i] * x[i] }
            partial += Double(s)
        }
        return partial
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
