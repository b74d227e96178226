// Experiment 2, why divide by √d_k (the paper, §3.2.1: "for large values of d_k, the dot products
// grow large in magnitude, pushing the softmax function into regions where it has extremely small
// gradients"). With q and k of independent unit-variance components, q·k has variance d_k. Over S
// keys, the softmax of the raw scores grows peaked as d_k grows — its entropy falls towards 0 and
// the gradient reaching the scores (through the library's softmax op, backward) vanishes — while
// the scores divided by √d_k keep both where they were.
import Foundation
import Training

public struct ScaledAttentionExperiment: Experiment {
    public let name = "scaled-attention"
    public let claim = """
        Why divide by √d_k: the variance of q·k grows with d_k; unscaled, the softmax saturates (entropy → 0) and \
        the gradient reaching the scores vanishes; scaled by 1/√d_k, neither depends on d_k.
        """

    public init() {}

    struct Measurement {
        var variance = 0.0
        var entropy = (scaled: 0.0, unscaled: 0.0)
        var gradient = (scaled: 0.0, unscaled: 0.0)
    }

    public func run(_ context: ExperimentContext) throws -> ExperimentResult {
        let dims = context.quick ? [4, 16, 64, 256, 1024] : [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]
        let queries = context.quick ? 64 : 512, keys = 32
        var generator = RandomGenerator(seed: 20_170_612)
        var results: [Measurement] = []
        for d in dims {
            let q = Tensor.randn([queries, d], generator: &generator)
            let k = Tensor.randn([keys, d], generator: &generator)
            let upstream = Tensor.randn([queries, keys], generator: &generator)
            let scores = Kernels.matmul(q, k, transposeB: true)
            var m = Measurement()
            let values = scores.scalars.map(Double.init)
            let mean = values.reduce(0, +) / Double(values.count)
            m.variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
            for scaled in [true, false] {
                let s = Tensor(scores.scalars.map { scaled ? $0 / Float(d).squareRoot() : $0 }, shape: [queries, keys])
                s.requiresGrad = true
                let p = s.softmax(axis: -1)
                (p * upstream).sum().backward()
                let probabilities = p.scalars.map(Double.init)
                var entropy = 0.0
                for v in probabilities where v > 0 { entropy -= v * log(v) }
                entropy /= Double(queries)
                // The median over queries of ‖∂L/∂scores‖: a few unsaturated rows would dominate a mean.
                let g = s.grad?.scalars.map(Double.init) ?? []
                let norms = (0..<queries).map { i in (0..<keys).reduce(0.0) { $0 + g[i * keys + $1] * g[i * keys + $1] }.squareRoot() }.sorted()
                let gradient = norms.isEmpty ? 0 : norms[norms.count / 2]
                if scaled { (m.entropy.scaled, m.gradient.scaled) = (entropy, gradient) } else { (m.entropy.unscaled, m.gradient.unscaled) = (entropy, gradient) }
            }
            results.append(m)
        }
        let x = dims.map(Double.init)
        func series(_ name: String, _ color: String, _ values: [Double]) -> PlotSeries { PlotSeries(name: name, color: color, points: Array(zip(x, values))) }
        let variance = SVGPlot.chart(title: "Variance of q·k (unit-variance components)", xLabel: "d_k", yLabel: "variance",
                                     series: [series("measured", "#1f77b4", results.map(\.variance)), series("d_k", "#7f7f7f", x)], width: 520, height: 380)
        let entropy = SVGPlot.chart(title: "Softmax entropy over \(keys) keys (log \(keys) = \(String(format: "%.2f", log(Double(keys)))))",
                                    xLabel: "d_k", yLabel: "entropy (nats)",
                                    series: [series("q·k/√d_k", "#1f77b4", results.map(\.entropy.scaled)),
                                             series("q·k", "#d62728", results.map(\.entropy.unscaled))], width: 520, height: 380)
        let gradient = SVGPlot.chart(title: "Gradient reaching the scores (median over queries)", xLabel: "d_k", yLabel: "‖∂L/∂scores‖",
                                     series: [series("q·k/√d_k", "#1f77b4", results.map(\.gradient.scaled)),
                                              series("q·k", "#d62728", results.map(\.gradient.unscaled))], width: 520, height: 380)
        let figure = try context.figure("scaled-attention.svg", SVGHeatMap.combine([variance, entropy, gradient],
                                                                                    title: "Why divide by √d_k", columns: 3))
        let (first, last) = (results[0], results[results.count - 1])
        let varianceRatio = zip(results.map(\.variance), x).map { $0 / $1 }
        let held = varianceRatio.allSatisfy { $0 > 0.8 && $0 < 1.25 }
            && last.entropy.unscaled < 0.25 * first.entropy.unscaled && last.gradient.unscaled < 0.25 * first.gradient.unscaled
            && abs(last.entropy.scaled - first.entropy.scaled) < 0.1 * first.entropy.scaled
            && abs(last.gradient.scaled - first.gradient.scaled) < 0.25 * first.gradient.scaled
        let conclusion = String(format: """
            Var(q·k)/d_k stays in [%.2f, %.2f] for d_k %d…%d. Unscaled, the softmax entropy falls from %.2f to %.2f nats and \
            the gradient reaching the scores from %.3g to %.3g; scaled by 1/√d_k they stay at %.2f → %.2f nats and %.3g → %.3g. %@
            """, varianceRatio.min() ?? 0, varianceRatio.max() ?? 0, dims[0], dims[dims.count - 1],
            first.entropy.unscaled, last.entropy.unscaled, first.gradient.unscaled, last.gradient.unscaled,
            first.entropy.scaled, last.entropy.scaled, first.gradient.scaled, last.gradient.scaled,
            held ? "The claim holds." : "The claim does not hold as measured.")
        return ExperimentResult(conclusion: conclusion, held: held, numbers: [
            "d_k": .integers(dims), "keys": .number(Double(keys)), "queries": .number(Double(queries)),
            "variance": .numbers(results.map(\.variance)),
            "entropy_scaled": .numbers(results.map(\.entropy.scaled)), "entropy_unscaled": .numbers(results.map(\.entropy.unscaled)),
            "gradient_scaled": .numbers(results.map(\.gradient.scaled)), "gradient_unscaled": .numbers(results.map(\.gradient.unscaled)),
        ], figures: [figure])
    }
}
