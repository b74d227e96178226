// Experiment 7, exposure bias (Ranzato et al. 2016; Bengio et al. 2015, scheduled sampling):
// teacher forcing trains the decoder on gold prefixes only, but decoding feeds it its own, so
// at test time it meets inputs it never saw and its mistakes compound. Scheduled sampling
// replaces some gold input tokens by the model's own predictions during training. The same small
// encoder-decoder trained both ways (same data, seed and updates) and measured by greedy BLEU and
// by how much its validation loss rises when a fraction p of its input tokens are its own
// predictions instead of the gold ones.
import Foundation
import Generation
import Models
import Training

public struct ExposureBiasExperiment: Experiment {
    public let name = "exposure-bias"
    public let claim = """
        Exposure bias: a decoder trained with teacher forcing only is hurt more when fed its own earlier predictions \
        than one trained with scheduled sampling.
        """

    public init() {}

    /// Replacement rates at which the validation loss is measured.
    static let rates = [0.0, 0.1, 0.25, 0.5]

    public func run(_ context: ExperimentContext) throws -> ExperimentResult {
        let steps = context.quick ? 12 : 800, maxTokens = context.quick ? 400 : 2000
        let data = try ExperimentData.multi30k(context, trainPairs: context.quick ? 400 : 29_000, validPairs: context.quick ? 16 : 500)
        struct Run { let label: String; let outcome: TrainingOutcome; let losses: [Double] }
        var runs: [Run] = []
        for sampled in [false, true] {
            let label = sampled ? "scheduled sampling (p → 0.25)" : "teacher forcing"
            context.log(label)
            let outcome = try ExperimentTraining.run(ExperimentTraining.smallModel(), data: data, steps: steps, maxTokens: maxTokens,
                                                     warmup: steps / 10, configure: { config in
                guard sampled else { return }
                // Teacher forcing for the first quarter, then p rises to 0.25 over the next half.
                config.scheduledSampling.enabled = true
                config.scheduledSampling.maxProbability = 0.25
                config.scheduledSampling.startStep = steps / 4
                config.scheduledSampling.rampSteps = max(1, steps / 2)
            }, log: context.log)
            let losses = outcome.model.map { m in ExposureBiasExperiment.rates.map { ExposureBiasExperiment.loss(m, data.valid.examples, ownRate: $0) } }
                ?? ExposureBiasExperiment.rates.map { _ in .nan }
            context.log(label + ": validation loss fed its own tokens at p = " + zip(ExposureBiasExperiment.rates, losses)
                .map { String(format: "%.2f: %.3f", $0, $1) }.joined(separator: ", "))
            runs.append(Run(label: label, outcome: outcome, losses: losses))
        }
        let colors = ["#d62728", "#1f77b4"]
        let rise = SVGPlot.chart(title: "Validation loss, fed its own predictions", xLabel: "fraction p of input tokens that are the model's own",
                                 yLabel: "loss (nats/token)", series: runs.enumerated().map { i, r in
                                     PlotSeries(name: r.label, color: colors[i], points: Array(zip(ExposureBiasExperiment.rates, r.losses)))
                                 }, width: 520, height: 380)
        let curves = SVGPlot.chart(title: "Training loss", xLabel: "update", yLabel: "loss", series: runs.enumerated().map { i, r in
            PlotSeries(name: r.label, color: colors[i], points: zip(r.outcome.steps, r.outcome.losses).map { (Double($0), $1) })
        }, width: 520, height: 380)
        let figure = try context.figure("exposure-bias.svg", SVGHeatMap.combine([rise, curves], title: "Exposure bias and scheduled sampling", columns: 2))
        let last = ExposureBiasExperiment.rates.count - 1
        let increase = runs.map { $0.losses[last] - $0.losses[0] }
        let held: Bool? = context.quick ? nil : increase[1] < increase[0]
        let conclusion = runs.enumerated().map { i, r in
            String(format: "%@: BLEU %.2f, validation loss %.3f on gold inputs and %.3f with half its inputs its own (+%.3f)",
                   r.label, r.outcome.bleu, r.losses[0], r.losses[last], increase[i])
        }.joined(separator: "; ") + ". " + (held == nil ? "A --quick run is too short to decide."
            : held! ? "The model trained with scheduled sampling is hurt less by its own predictions: the claim holds."
            : "The model trained with scheduled sampling is not hurt less by its own predictions: the claim does not hold as measured.")
        return ExperimentResult(conclusion: conclusion, held: held, numbers: [
            "updates": .number(Double(steps)), "max_tokens": .number(Double(maxTokens)), "own_token_rates": .numbers(ExposureBiasExperiment.rates),
            "runs": .list(runs.map { r in .object([
                "training": .text(r.label), "bleu": .number(r.outcome.bleu), "valid_loss": .number(r.outcome.validLoss),
                "valid_loss_by_own_token_rate": .numbers(r.losses), "losses": .numbers(r.outcome.losses),
            ]) }),
        ], figures: [figure])
    }

    /// Mean cross-entropy (no smoothing) of `model` on `examples` when each input token after the
    /// start token is, with probability `ownRate`, the model's own teacher-forced prediction for
    /// that position — the replacement scheduled sampling trains with, drawn from a fixed seed.
    static func loss(_ model: EncoderDecoderModel, _ examples: [Example], ownRate: Double) -> Double {
        let c = model.config
        var sampler = ScheduledSampling(settings: ScheduledSamplingSettings(), seed: 77)
        var total = 0.0, tokens = 0
        for start in stride(from: 0, to: examples.count, by: 32) {
            let batch = TrainingBatch.collate(Array(examples[start..<min(examples.count, start + 32)]),
                                              padId: Int32(c.padId ?? 0), bosId: Int32(c.bosId), eosId: Int32(c.eosId))
            guard let source = batch.source else { continue }
            let value: Float = withNoGrad {
                let gold = model(source: source, targetIn: batch.targetIn)
                let input = sampler.mix(targetIn: batch.targetIn, logits: gold, probability: ownRate, padId: Int32(c.padId ?? -1))
                return model.loss(logits: model(source: source, targetIn: input), targets: batch.targetOut, labelSmoothing: 0).scalars[0]
            }
            total += Double(value) * Double(batch.targetTokens)
            tokens += batch.targetTokens
        }
        return tokens > 0 ? total / Double(tokens) : .nan
    }
}
