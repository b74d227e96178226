// Experiment 4, Post-LN or Pre-LN: the paper puts the norm after the residual sum (Post-LN,
// LayerNorm(x + Sublayer(x))) and trains with a learning-rate warm-up; Pre-LN (x + Sublayer(LayerNorm(x)),
// Xiong et al. 2020) keeps the residual path free of norms, and is said to train deep stacks without
// warm-up. The same encoder-decoder at two depths, both placements, with and without warm-up, at
// one peak learning rate: which runs diverge, the gradient norm of the first updates (in total and
// per layer), and where each ends.
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
        // 20 minutes on the 2 shared cores (at 150 updates of 1,000 tokens the eight runs took about 45).
        let steps = context.quick ? 10 : 100, maxTokens = context.quick ? 400 : 600
        let peak = context.quick ? 1e-3 : 2e-3
        let probed = context.quick ? 2 : 10
        let data = try ExperimentData.multi30k(context, trainPairs: context.quick ? 400 : 29_000, validPairs: context.quick ? 16 : 100)
        struct Run { let depth: Int; let preLN: Bool; let warmup: Bool; let outcome: TrainingOutcome }
        var runs: [Run] = []
        for depth in depths {
            for preLN in [false, true] {
                for warmup in [true, false] {
                    context.log("\(depth) + \(depth) layers, \(preLN ? "Pre-LN" : "Post-LN"), \(warmup ? "warm-up" : "no warm-up")")
                    var model = ExperimentTraining.smallModel(layers: depth)
                    model.normFirst = preLN
                    runs.append(Run(depth: depth, preLN: preLN, warmup: warmup, outcome: try ExperimentTraining.run(
                        model, data: data, steps: steps, maxTokens: maxTokens, warmup: warmup ? steps / 3 : 0, peak: peak, probeLayers: probed,
                        log: context.log)))
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
        // Per layer: at initialization (the same for both schedules) and after the probed updates without warm-up.
        let layerFigure = try context.figure("norm-placement-layers.svg", SVGHeatMap.combine(
            [0, probed].flatMap { update in depths.map { depth in
                NormPlacementExperiment.layerChart(depth: depth, update: update, postLN: find(depth, false, false), preLN: find(depth, true, false))
            } }, title: "Gradient norm of each layer: at initialization, and after \(probed) updates without warm-up", columns: depths.count))
        let deepest = depths[depths.count - 1]
        func loss(_ o: TrainingOutcome?) -> Double { o.map { $0.diverged ? .infinity : $0.validLoss } ?? .nan }
        // Post-LN loses more than Pre-LN when the warm-up is taken away, at the largest depth.
        let postCost = loss(find(deepest, false, false)) - loss(find(deepest, false, true))
        let preCost = loss(find(deepest, true, false)) - loss(find(deepest, true, true))
        let held: Bool? = context.quick ? nil : postCost > preCost + 0.05
        // How much larger the top layer's gradient is than the bottom one's, at initialization.
        func topOverBottom(_ o: TrainingOutcome?, encoder: Bool) -> Double {
            guard let norms = o?.layerGradientNorms.first.map({ encoder ? $0.encoder : $0.decoder }), let first = norms.first, let last = norms.last,
                  first > 0 else { return .nan }
            return last / first
        }
        let layerSummary = depths.map { depth in
            String(format: "at %d + %d layers the top layer's gradient norm at initialization is %.2f× the bottom one's in Post-LN's decoder "
                   + "(encoder %.2f×) and %.2f× in Pre-LN's (encoder %.2f×)", depth, depth,
                   topOverBottom(find(depth, false, false), encoder: false), topOverBottom(find(depth, false, false), encoder: true),
                   topOverBottom(find(depth, true, false), encoder: false), topOverBottom(find(depth, true, false), encoder: true))
        }.joined(separator: "; ")
        let summary = runs.map { r in
            String(format: "%@: %@", label(r), r.outcome.diverged ? "diverged" : String(format: "valid loss %.2f, BLEU %.1f", r.outcome.validLoss, r.outcome.bleu))
        }.joined(separator: "; ")
        let conclusion = String(format: """
            %@. At %d + %d layers, removing the warm-up costs Post-LN %.2f in validation loss and Pre-LN %.2f. Per layer, %@. %@
            """, summary, deepest, deepest, postCost, preCost, layerSummary,
            held == nil ? "A --quick run is too short to decide." : held! ? "The claim holds." : "The claim does not hold as measured.")
        func numbers(_ r: Run) -> ExperimentValue {
            let probes: [ExperimentValue] = r.outcome.layerGradientNorms.map { n in
                .object(["after_updates": .number(Double(n.update)), "encoder": .numbers(n.encoder), "decoder": .numbers(n.decoder)])
            }
            let ratio: ExperimentValue = .object(["encoder": .number(topOverBottom(r.outcome, encoder: true)),
                                                  "decoder": .number(topOverBottom(r.outcome, encoder: false))])
            return .object([
                "depth": .number(Double(r.depth)), "placement": .text(r.preLN ? "pre-ln" : "post-ln"), "warmup": .text(r.warmup ? "yes" : "no"),
                "valid_loss": .number(r.outcome.validLoss), "bleu": .number(r.outcome.bleu), "skipped_updates": .number(Double(r.outcome.skipped)),
                "first_gradient_norms": .numbers(Array(r.outcome.gradientNorms.prefix(10))), "losses": .numbers(r.outcome.losses),
                "layer_gradient_norms": .list(probes), "top_over_bottom_at_init": ratio,
            ])
        }
        return ExperimentResult(conclusion: conclusion, held: held, numbers: [
            "depths": .integers(depths), "updates": .number(Double(steps)), "max_tokens": .number(Double(maxTokens)), "peak_lr": .number(peak),
            "runs": .list(runs.map(numbers)),
        ], figures: [figure, layerFigure])
    }

    /// The gradient norm against layer index after `update` updates (0: at initialization), encoder and decoder, both placements.
    static func layerChart(depth: Int, update: Int, postLN: TrainingOutcome?, preLN: TrainingOutcome?) -> String {
        func series(_ name: String, _ color: String, _ o: TrainingOutcome?, encoder: Bool) -> PlotSeries {
            let norms = o?.layerGradientNorms.first { $0.update == update }.map { encoder ? $0.encoder : $0.decoder } ?? []
            return PlotSeries(name: name, color: color, points: norms.enumerated().compactMap { i, v in v.isFinite ? (Double(i + 1), v) : nil })
        }
        return SVGPlot.chart(title: "\(depth) + \(depth) layers, " + (update == 0 ? "at initialization" : "after \(update) updates, no warm-up"),
                             xLabel: "layer (1: bottom)", yLabel: "‖∂L/∂θ_layer‖", series: [
                                 series("Post-LN decoder", "#d62728", postLN, encoder: false), series("Post-LN encoder", "#ff9896", postLN, encoder: true),
                                 series("Pre-LN decoder", "#1f77b4", preLN, encoder: false), series("Pre-LN encoder", "#aec7e8", preLN, encoder: true),
                             ], width: 480, height: 340)
    }
}
