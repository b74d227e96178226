// Experiment 8, when to stop: the paper's decoder generates "one element at a time" until it
// emits <eos>, with a length cap (input length + 50) as a safety net. The alternative — the
// length predicted before decoding, as non-autoregressive models do — is the model's length head
// (`length_head`, a classifier over target lengths from the pooled encoder output, trained
// jointly). One model with the head, decoded greedily three ways: stopping at <eos>; at exactly
// the predicted length; within ±2 tokens of it. Measured by the length error against the
// reference and by BLEU.
import Evaluation
import Foundation
import Generation
import Models
import Training

public struct WhenToStopExperiment: Experiment {
    public let name = "when-to-stop"
    public let claim = """
        When to stop: <eos> (with a length cap as a safety net) ends translations at least as well as a learned \
        output-length predictor — as close to the reference length, and with at least the same BLEU.
        """

    public init() {}

    public func run(_ context: ExperimentContext) throws -> ExperimentResult {
        let steps = context.quick ? 12 : 800, maxTokens = context.quick ? 400 : 2000
        let data = try ExperimentData.multi30k(context, trainPairs: context.quick ? 400 : 29_000, validPairs: context.quick ? 16 : 500)
        var config = ExperimentTraining.smallModel()
        config.lengthHead = true
        let outcome = try ExperimentTraining.run(config, data: data, steps: steps, maxTokens: maxTokens, warmup: steps / 10, log: context.log)
        guard let model = outcome.model else { throw ExperimentError("the run diverged: nothing to decode") }
        let examples = data.valid.examples
        let sources = examples.map { model.sourceSequence($0.source) }
        let references = examples.map { data.tokenizer.decode($0.target) }
        let referenceLengths = examples.map { $0.target.count }
        let eos = Int32(model.config.eosId)

        // The head's own accuracy: predicted length (counting <eos>) against the reference's.
        var predicted: [Int] = []
        for start in stride(from: 0, to: sources.count, by: 32) {
            let batch = Array(sources[start..<min(sources.count, start + 32)])
            let width = batch.map(\.count).max() ?? 1
            let ids = batch.flatMap { $0 + [Int32](repeating: Int32(model.config.padId ?? 0), count: width - $0.count) }
            let padding = Tensor(batch.flatMap { s in (0..<width).map { $0 < s.count ? Float(0) : 1 } }, shape: [batch.count, width])
            let (memory, _) = withNoGrad { model.encode(Tensor(ints: ids, shape: [batch.count, width]), padding: padding) }
            predicted += model.predictLengths(memory: memory, padding: padding) ?? []
        }
        let headErrors = zip(predicted, referenceLengths).map { abs($0 - 1 - $1) }
        let headExact = Double(headErrors.filter { $0 == 0 }.count) / Double(max(headErrors.count, 1))
        let headWithin2 = Double(headErrors.filter { $0 <= 2 }.count) / Double(max(headErrors.count, 1))

        struct Way { let label: String; let window: Int? }
        let ways = [Way(label: "<eos> or the cap", window: nil), Way(label: "predicted length", window: 0), Way(label: "predicted length ± 2", window: 2)]
        struct Outcome { let label: String; let lengthError: Double; let bias: Double; let bleu: Double; let capped: Int }
        var results: [Outcome] = []
        for way in ways {
            var options = TranslationOptions()
            options.beamSize = 1
            options.lengthWindow = way.window
            let translator = Translator(model: model, options: options)
            let hypotheses = withNoGrad { translator.translate(sources) }.map { $0.first ?? Hypothesis(tokens: [], logProbability: 0, score: 0) }
            let lengths = hypotheses.map { $0.content(eos: eos).count }
            let capped = zip(hypotheses, sources).filter { h, s in h.tokens.last != eos && h.tokens.count >= translator.maxLength(sourceLength: s.count) }.count
            let errors = zip(lengths, referenceLengths).map { Double($0 - $1) }
            let bleu = try BLEU.corpusScore(hypotheses: hypotheses.map { data.tokenizer.decode($0.content(eos: eos)) }, references: [references]).score
            let o = Outcome(label: way.label, lengthError: errors.map(abs).reduce(0, +) / Double(max(errors.count, 1)),
                            bias: errors.reduce(0, +) / Double(max(errors.count, 1)), bleu: bleu, capped: capped)
            context.log(String(format: "%@: mean length error %.2f tokens (bias %+.2f), BLEU %.2f, %d at the cap", o.label, o.lengthError, o.bias, o.bleu, o.capped))
            results.append(o)
        }
        let colors = ["#1f77b4", "#d62728", "#ff7f0e"]
        func bars(_ title: String, _ y: String, _ value: (Outcome) -> Double) -> String {
            SVGPlot.chart(title: title, xLabel: "1: <eos>   2: predicted length   3: predicted ± 2", yLabel: y,
                          series: results.enumerated().map { i, r in
                              PlotSeries(name: r.label, color: colors[i], points: [(Double(i + 1), value(r))])
                          }, width: 460, height: 360)
        }
        let histogram: String = {
            var counts = [Int: Int]()
            for (p, r) in zip(predicted, referenceLengths) { counts[p - 1 - r, default: 0] += 1 }
            let points = counts.keys.sorted().map { (Double($0), Double(counts[$0]!)) }
            return SVGPlot.chart(title: "Length head: predicted − reference length", xLabel: "tokens", yLabel: "sentences",
                                 series: [PlotSeries(name: "validation sentences", color: "#2ca02c", points: points)], width: 460, height: 360)
        }()
        let figure = try context.figure("when-to-stop.svg", SVGHeatMap.combine([
            bars("Mean |length − reference length|", "tokens") { $0.lengthError },
            bars("Greedy BLEU", "BLEU") { $0.bleu },
            histogram,
        ], title: "When to stop: <eos> against a learned length predictor (\(steps) updates)", columns: 3))
        let (byEOS, exact, window) = (results[0], results[1], results[2])
        let held: Bool? = context.quick ? nil
            : byEOS.lengthError <= min(exact.lengthError, window.lengthError) + 0.05 && byEOS.bleu >= max(exact.bleu, window.bleu) - 0.1
        let conclusion = results.map { String(format: "%@: length error %.2f tokens, BLEU %.2f", $0.label, $0.lengthError, $0.bleu) }
            .joined(separator: "; ") + String(format: ". The head predicts the exact length for %.0f%% of sentences, within 2 tokens for %.0f%%. ",
                                               headExact * 100, headWithin2 * 100)
            + (held == nil ? "A --quick run is too short to decide."
               : held! ? "Stopping at <eos> is as good as the predictor or better: the claim holds."
               : "The length predictor does better than <eos> here: the claim does not hold as measured.")
        return ExperimentResult(conclusion: conclusion, held: held, numbers: [
            "updates": .number(Double(steps)), "max_tokens": .number(Double(maxTokens)), "valid_loss": .number(outcome.validLoss),
            "head_exact": .number(headExact), "head_within_2": .number(headWithin2),
            "head_mean_error": .number(Double(headErrors.reduce(0, +)) / Double(max(headErrors.count, 1))),
            "ways": .list(results.map { r in .object([
                "stopping": .text(r.label), "mean_length_error": .number(r.lengthError), "mean_length_bias": .number(r.bias),
                "bleu": .number(r.bleu), "at_cap": .number(Double(r.capped)),
            ]) }),
            "losses": .numbers(outcome.losses),
        ], figures: [figure])
    }
}
