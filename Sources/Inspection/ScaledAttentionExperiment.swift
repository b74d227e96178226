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
        // A short training run of one model with and without the scaling (one head, so d_k = 128).
        let steps = context.quick ? 8 : 120
        let data = try ExperimentData.multi30k(context, trainPairs: context.quick ? 400 : 29_000, validPairs: context.quick ? 16 : 200)
        var training: [(scaled: Bool, outcome: TrainingOutcome)] = []
        for scaled in [true, false] {
            context.log("training with scale_attention \(scaled)")
            var model = ExperimentTraining.smallModel()
            model.heads = 1
            model.scaleAttention = scaled
            training.append((scaled, try ExperimentTraining.run(model, data: data, steps: steps, maxTokens: context.quick ? 400 : 1000,
                                                                warmup: steps / 10, log: context.log)))
        }
        let curves = SVGPlot.chart(title: "Training loss, d_k = 128 (one head), \(steps) updates", xLabel: "update", yLabel: "loss",
                                   series: training.map { r in
                                       PlotSeries(name: r.scaled ? "q·k/√d_k" : "q·k", color: r.scaled ? "#1f77b4" : "#d62728",
                                                  points: zip(r.outcome.steps, r.outcome.losses).map { (Double($0), $1) })
                                   }, width: 520, height: 380)
        let figure = try context.figure("scaled-attention.svg", SVGHeatMap.combine([variance, entropy, gradient, curves],
                                                                                    title: "Why divide by √d_k", columns: 2))
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
            + String(format: " Trained %d updates with d_k = 128: validation loss %.2f scaled, %.2f unscaled (BLEU %.1f and %.1f).",
                     steps, training[0].outcome.validLoss, training[1].outcome.validLoss, training[0].outcome.bleu, training[1].outcome.bleu)
        return ExperimentResult(conclusion: conclusion, held: held, numbers: [
            "d_k": .integers(dims), "keys": .number(Double(keys)), "queries": .number(Double(queries)),
            "variance": .numbers(results.map(\.variance)),
            "entropy_scaled": .numbers(results.map(\.entropy.scaled)), "entropy_unscaled": .numbers(results.map(\.entropy.unscaled)),
            "gradient_scaled": .numbers(results.map(\.gradient.scaled)), "gradient_unscaled": .numbers(results.map(\.gradient.unscaled)),
            "training_updates": .number(Double(steps)),
            "training_valid_loss_scaled": .number(training[0].outcome.validLoss), "training_valid_loss_unscaled": .number(training[1].outcome.validLoss),
            "training_bleu_scaled": .number(training[0].outcome.bleu), "training_bleu_unscaled": .number(training[1].outcome.bleu),
            "training_losses_scaled": .numbers(training[0].outcome.losses), "training_losses_unscaled": .numbers(training[1].outcome.losses),
        ], figures: [figure])
    }
}
