// Experiment 5, residual connections (the paper, §3.1: "We employ a residual connection around
// each of the two sub-layers"; He et al. 2016 for why): the same Post-LN encoder-decoder trained
// with and without them (`residual: false`) at growing depth, with the same data, seed and number
// of updates. The claim: without residuals, deeper stacks train worse (or not at all), with them
// depth does not hurt.
import Foundation
import Models
import Training

public struct ResidualConnectionsExperiment: Experiment {
    public let name = "residual-connections"
    public let claim = """
        Residual connections: without them, deeper stacks train worse or not at all; with them, the same stacks train.
        """

    public init() {}

    public func run(_ context: ExperimentContext) throws -> ExperimentResult {
        let depths = context.quick ? [1, 3] : [2, 6]
        let steps = context.quick ? 12 : 120, maxTokens = context.quick ? 400 : 1000
        let data = try ExperimentData.multi30k(context, trainPairs: context.quick ? 400 : 29_000, validPairs: context.quick ? 16 : 200)
        var runs: [(depth: Int, residual: Bool, outcome: TrainingOutcome)] = []
        for depth in depths {
            for residual in [true, false] {
                context.log("\(depth) + \(depth) layers, residual \(residual)")
                var model = ExperimentTraining.smallModel(layers: depth)
                model.residual = residual
                runs.append((depth, residual, try ExperimentTraining.run(model, data: data, steps: steps, maxTokens: maxTokens, warmup: steps / 10,
                                                                        log: context.log)))
            }
        }
        func finalLoss(_ o: TrainingOutcome) -> Double {
            let tail = o.losses.suffix(max(1, o.losses.count / 10))
            return tail.isEmpty ? .nan : tail.reduce(0, +) / Double(tail.count)
        }
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
        let curves = SVGPlot.chart(title: "Training loss (\(steps) updates of ~\(maxTokens) target tokens)", xLabel: "update", yLabel: "loss",
                                   series: runs.enumerated().map { i, r in
                                       PlotSeries(name: "\(r.depth)+\(r.depth) layers, \(r.residual ? "residual" : "no residual")",
                                                  color: colors[i % colors.count], points: zip(r.outcome.steps, r.outcome.losses).map { (Double($0), $1) })
                                   }, width: 560, height: 400)
        let byDepth = SVGPlot.chart(title: "Validation loss against depth", xLabel: "layers per stack", yLabel: "validation loss",
                                    series: [true, false].enumerated().map { i, residual in
                                        PlotSeries(name: residual ? "residual" : "no residual", color: colors[i],
                                                   points: runs.filter { $0.residual == residual && $0.outcome.validLoss.isFinite }
                                                       .map { (Double($0.depth), $0.outcome.validLoss) })
                                    }, width: 520, height: 400)
        let figure = try context.figure("residual-connections.svg", SVGHeatMap.combine([curves, byDepth],
                                                                                        title: "Residual connections at growing depth", columns: 2))
        func valid(_ depth: Int, _ residual: Bool) -> Double { runs.first { $0.depth == depth && $0.residual == residual }?.outcome.validLoss ?? .nan }
        let gaps = depths.map { valid($0, false) - valid($0, true) }
        let deepest = depths[depths.count - 1]
        let held: Bool? = context.quick ? nil : (gaps.last.map { !$0.isFinite || $0 > 0.1 } ?? false)
            && (gaps.last ?? 0) >= (gaps.first ?? 0)
        let conclusion = String(format: """
            Validation loss with / without residual connections: %@. At %d + %d layers the run without them is %@. %@
            """, depths.map { String(format: "%d+%d layers %.2f / %.2f", $0, $0, valid($0, true), valid($0, false)) }.joined(separator: ", "),
            deepest, deepest, gaps.last.map { $0.isFinite ? String(format: "worse by %.2f", $0) : "diverged" } ?? "missing",
            held == nil ? "A --quick run is too short to decide." : held! ? "The claim holds." : "The claim does not hold as measured.")
        return ExperimentResult(conclusion: conclusion, held: held, numbers: [
            "depths": .integers(depths), "updates": .number(Double(steps)), "max_tokens": .number(Double(maxTokens)),
            "runs": .list(runs.map { r in .object([
                "depth": .number(Double(r.depth)), "residual": .text(r.residual ? "yes" : "no"),
                "valid_loss": .number(r.outcome.validLoss), "bleu": .number(r.outcome.bleu), "final_train_loss": .number(finalLoss(r.outcome)),
                "first_gradient_norm": .number(r.outcome.gradientNorms.first ?? .nan), "skipped_updates": .number(Double(r.outcome.skipped)),
                "losses": .numbers(r.outcome.losses),
            ]) }),
        ], figures: [figure])
    }
}
