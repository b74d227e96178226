// Experiment 4, Post-LN or Pre-LN: the paper puts the norm after the residual sum (Post-LN,
// LayerNorm(x + Sublayer(x))) and trains with a learning-rate warm-up; Pre-LN (x + Sublayer(LayerNorm(x)),
// Xiong et al. 2020) keeps the residual path free of norms, and is said to train deep stacks without
// warm-up. The same encoder-decoder at two depths, both placements, with and without warm-up, at
// one peak learning rate: which runs diverge, the gradient norm of the first updates, and where
// each ends.
import Foundation
import Models
import Training

public struct NormPlacementExperiment: Experiment {
    public let name = "norm-placement"
    public let claim = """
        Post-LN or Pre-LN: deep Post-LN stacks need a learning-rate warm-up (without one they train badly or \
        diverge); Pre-LN stacks train without it.
        """

    public init() {}

    public func run(_ context: ExperimentContext) throws -> ExperimentResult {
        let depths = context.quick ? [1, 2] : [6, 12]
        let steps = context.quick ? 10 : 150, maxTokens = context.quick ? 400 : 1000
        let peak = context.quick ? 1e-3 : 2e-3
        let data = try ExperimentData.multi30k(context, trainPairs: context.quick ? 400 : 29_000, validPairs: context.quick ? 16 : 200)
        struct Run { let depth: Int; let preLN: Bool; let warmup: Bool; let outcome: TrainingOutcome }
        var runs: [Run] = []
        for depth in depths {
            for preLN in [false, true] {
                for warmup in [true, false] {
                    context.log("\(depth) + \(depth) layers, \(preLN ? "Pre-LN" : "Post-LN"), \(warmup ? "warm-up" : "no warm-up")")
                    var model = ExperimentTraining.smallModel(layers: depth)
                    model.normFirst = preLN
                    runs.append(Run(depth: depth, preLN: preLN, warmup: warmup, outcome: try ExperimentTraining.run(
                        model, data: data, steps: steps, maxTokens: maxTokens, warmup: warmup ? steps / 3 : 0, peak: peak, log: context.log)))
                }
            }
        }
        func label(_ r: Run) -> String { "\(r.depth)+\(r.depth) \(r.preLN ? "Pre-LN" : "Post-LN")\(r.warmup ? "" : ", no warm-up")" }
        let colors = ["#1f77b4", "#aec7e8", "#d62728", "#ff9896", "#2ca02c", "#98df8a", "#9467bd", "#c5b0d5"]
        let curves = SVGPlot.chart(title: "Training loss (\(steps) updates, peak rate \(peak))", xLabel: "update", yLabel: "loss",
                                   series: runs.enumerated().map { i, r in
                                       PlotSeries(name: label(r), color: colors[i % colors.count],
                                                  points: zip(r.outcome.steps, r.outcome.losses).map { (Double($0), $1) })
                                   }, width: 620, height: 440)
        let norms = SVGPlot.chart(title: "Gradient norm (before clipping)", xLabel: "update", yLabel: "‖g‖",
                                  series: runs.enumerated().map { i, r in
                                      PlotSeries(name: label(r), color: colors[i % colors.count],
                                                 points: zip(r.outcome.steps, r.outcome.gradientNorms).map { (Double($0), $1) })
                                  }, width: 620, height: 440)
        let figure = try context.figure("norm-placement.svg", SVGHeatMap.combine([curves, norms], title: "Post-LN and Pre-LN, with and without warm-up",
                                                                                  columns: 2))
        func find(_ depth: Int, _ preLN: Bool, _ warmup: Bool) -> TrainingOutcome? {
            runs.first { $0.depth == depth && $0.preLN == preLN && $0.warmup == warmup }?.outcome
        }
        let deepest = depths[depths.count - 1]
        func loss(_ o: TrainingOutcome?) -> Double { o.map { $0.diverged ? .infinity : $0.validLoss } ?? .nan }
        // Post-LN loses more than Pre-LN when the warm-up is taken away, at the largest depth.
        let postCost = loss(find(deepest, false, false)) - loss(find(deepest, false, true))
        let preCost = loss(find(deepest, true, false)) - loss(find(deepest, true, true))
        let held: Bool? = context.quick ? nil : postCost > preCost + 0.05
        let summary = runs.map { r in
            String(format: "%@: %@", label(r), r.outcome.diverged ? "diverged" : String(format: "valid loss %.2f, BLEU %.1f", r.outcome.validLoss, r.outcome.bleu))
        }.joined(separator: "; ")
        let conclusion = String(format: """
            %@. At %d + %d layers, removing the warm-up costs Post-LN %.2f in validation loss and Pre-LN %.2f. %@
            """, summary, deepest, deepest, postCost, preCost,
            held == nil ? "A --quick run is too short to decide." : held! ? "The claim holds." : "The claim does not hold as measured.")
        return ExperimentResult(conclusion: conclusion, held: held, numbers: [
            "depths": .integers(depths), "updates": .number(Double(steps)), "max_tokens": .number(Double(maxTokens)), "peak_lr": .number(peak),
            "runs": .list(runs.map { r in .object([
                "depth": .number(Double(r.depth)), "placement": .text(r.preLN ? "pre-ln" : "post-ln"), "warmup": .text(r.warmup ? "yes" : "no"),
                "valid_loss": .number(r.outcome.validLoss), "bleu": .number(r.outcome.bleu), "skipped_updates": .number(Double(r.outcome.skipped)),
                "first_gradient_norms": .numbers(Array(r.outcome.gradientNorms.prefix(10))), "losses": .numbers(r.outcome.losses),
            ]) }),
        ], figures: [figure])
    }
}
