// Gradient checking: compares backward() with central finite differences,
//   ∂L/∂x_i ≈ (L(x + h·e_i) − L(x − h·e_i)) / 2h,
// for L = Σ f(x) ⊙ R with fixed random weights R, so every output element's gradient is exercised.

public struct GradientCheckResult: CustomStringConvertible {
    /// Largest |analytic − numeric| / (atol + rtol·|numeric|) over all inputs; ≤ 1 passes.
    public let worstRatio: Double
    public let worstInput: Int
    public let worstIndex: Int
    public let analytic: Float
    public let numeric: Float
    public var passed: Bool { worstRatio <= 1 }
    public var description: String {
        "worst ratio \(worstRatio) at input \(worstInput)[\(worstIndex)]: analytic \(analytic), numeric \(numeric)"
    }
}

public enum GradientCheck {
    /// Checks the gradients of `f` with respect to every float input in `inputs`.
    public static func check(_ inputs: [Tensor], h: Float = 1e-2, atol: Float = 5e-4, rtol: Float = 1e-2,
                             seed: UInt64 = 7, _ f: ([Tensor]) -> Tensor) -> GradientCheckResult {
        var rng = RandomGenerator(seed: seed)
        let probe = GradMode.withNoGrad { f(inputs) }
        // Weights of magnitude 0.5…1.5 with random signs: no output's gradient is scaled away.
        let r = Tensor.uniform(probe.shape, low: 0.5, high: 1.5, generator: &rng)
        for i in 0..<r.count where rng.nextFloat() < 0.5 { r.data[i] = -r.data[i] }
        func loss() -> Double {
            let y = GradMode.withNoGrad { f(inputs) }
            var s = 0.0
            for i in 0..<y.count { s += Double(y.data[i]) * Double(r.data[i]) }
            return s
        }
        for x in inputs where x.dtype == .float32 { x.requiresGrad = true; x.grad = nil }
        GradMode.withGrad { (f(inputs) * r).sum().backward() }
        var worst = GradientCheckResult(worstRatio: 0, worstInput: -1, worstIndex: -1, analytic: 0, numeric: 0)
        for (n, x) in inputs.enumerated() where x.dtype == .float32 {
            for i in 0..<x.count {
                let saved = x.data[i]
                x.data[i] = saved + h; let up = loss()
                x.data[i] = saved - h; let down = loss()
                x.data[i] = saved
                let numeric = Float((up - down) / Double(2 * h))
                let analytic = x.grad?.data[i] ?? 0
                let ratio = Double(abs(analytic - numeric) / (atol + rtol * abs(numeric)))
                if ratio > worst.worstRatio || !ratio.isFinite {
                    worst = GradientCheckResult(worstRatio: ratio.isFinite ? ratio : .infinity, worstInput: n, worstIndex: i,
                                                analytic: analytic, numeric: numeric)
                }
            }
        }
        return worst
    }
}
