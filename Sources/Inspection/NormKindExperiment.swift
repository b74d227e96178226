// Experiment 3, LayerNorm or BatchNorm for text (Ba et al. 2016; Shen et al. 2020, "PowerNorm"):
// BatchNorm normalises each feature over the batch, so in training a token's output depends on
// the other sentences it was batched with — whose number and lengths vary from batch to batch in
// text — and inference must use running averages that differ from what training computed.
// LayerNorm normalises each token over its own features. The same small encoder-decoder with each
// norm, trained with the same data, seed and updates; then, on the trained BatchNorm model, how far
// one sentence's output moves when the rest of its batch changes, and how far the running
// averages are from the batch statistics.
import Foundation
import Models
import Training

public struct NormKindExperiment: Experiment {
    public let name = "layer-or-batch-norm"
    public let claim = """
        LayerNorm or BatchNorm for text: BatchNorm trains worse on variable-length text, and makes a token's output \
        depend on the rest of its batch; LayerNorm does not.
        """

    public init() {}

    public func run(_ context: ExperimentContext) throws -> ExperimentResult {
        let steps = context.quick ? 12 : 800, maxTokens = context.quick ? 400 : 2000
        let data = try ExperimentData.multi30k(context, trainPairs: context.quick ? 400 : 29_000, validPairs: context.quick ? 16 : 500)
        struct Run { let norm: NormKind; let outcome: TrainingOutcome; let batchShift: Double; let inferenceShift: Double }
        var runs: [Run] = []
        for norm in [NormKind.layerNorm, .batchNorm] {
            context.log(norm.rawValue)
            var config = ExperimentTraining.smallModel()
            config.norm = norm
            let outcome = try ExperimentTraining.run(config, data: data, steps: steps, maxTokens: maxTokens, warmup: steps / 10, log: context.log)
            var shifts = (batch: Double.nan, inference: Double.nan)
            if let model = outcome.model { shifts = try NormKindExperiment.batchDependence(model, data.valid.examples) }
            context.log(String(format: "%@: a sentence's logits move by %.4f (relative) with its batch, by %.4f from training to inference",
                               norm.rawValue, shifts.batch, shifts.inference))
            runs.append(Run(norm: norm, outcome: outcome, batchShift: shifts.batch, inferenceShift: shifts.inference))
        }
        let colors = ["#1f77b4", "#d62728"]
        let curves = SVGPlot.chart(title: "Training loss", xLabel: "update", yLabel: "loss", series: runs.enumerated().map { i, r in
            PlotSeries(name: r.norm == .layerNorm ? "LayerNorm" : "BatchNorm", color: colors[i],
                       points: zip(r.outcome.steps, r.outcome.losses).map { (Double($0), $1) })
        }, width: 520, height: 380)
        let shifts = SVGPlot.chart(title: "How much a sentence's output depends on its batch", xLabel: "1: other sentences short vs long   2: training vs inference",
                                   yLabel: "relative change of its logits", series: runs.enumerated().flatMap { i, r in
            // Two separate measurements: points, not a line between them.
            [PlotSeries(name: r.norm == .layerNorm ? "LayerNorm" : "BatchNorm", color: colors[i], points: [(1, r.batchShift)]),
             PlotSeries(name: "", color: colors[i], points: [(2, r.inferenceShift)])]
        }, width: 520, height: 380)
        let figure = try context.figure("layer-or-batch-norm.svg", SVGHeatMap.combine([curves, shifts],
                                                                                        title: "LayerNorm or BatchNorm (\(steps) updates of ~\(maxTokens) target tokens)", columns: 2))
        let (layer, batch) = (runs[0], runs[1])
        let held: Bool? = context.quick ? nil
            : (!batch.outcome.validLoss.isFinite || batch.outcome.validLoss > layer.outcome.validLoss) && batch.batchShift > 10 * max(layer.batchShift, 1e-6)
        let conclusion = runs.map { r in
            String(format: "%@: validation loss %.3f, BLEU %.2f; a sentence's logits move by %.2g when its batch changes, %.2g from training to inference",
                   r.norm == .layerNorm ? "LayerNorm" : "BatchNorm", r.outcome.validLoss, r.outcome.bleu, r.batchShift, r.inferenceShift)
        }.joined(separator: "; ") + ". " + (held == nil ? "A --quick run is too short to decide."
            : held! ? "The claim holds." : "The claim does not hold as measured.")
        return ExperimentResult(conclusion: conclusion, held: held, numbers: [
            "updates": .number(Double(steps)), "max_tokens": .number(Double(maxTokens)),
            "runs": .list(runs.map { r in .object([
                "norm": .text(r.norm.rawValue), "valid_loss": .number(r.outcome.validLoss), "bleu": .number(r.outcome.bleu),
                "batch_shift": .number(r.batchShift), "train_inference_shift": .number(r.inferenceShift),
                "losses": .numbers(r.outcome.losses),
            ]) }),
        ], figures: [figure])
    }

    /// For the first validation sentence: the relative change of its logits computed as training
    /// computes them (batch statistics, no dropout) when the other (up to seven) sentences of its
    /// batch are the shortest against the longest of `examples`; and between that and inference
    /// (running averages).
    static func batchDependence(_ trained: EncoderDecoderModel, _ examples: [Example]) throws -> (batch: Double, inference: Double) {
        guard examples.count >= 2 else { return (.nan, .nan) }
        var config = trained.config
        config.dropout = 0
        config.attentionDropout = 0
        // A copy without dropout in training mode: its running averages are copies, which this leaves behind.
        let weights = Dictionary(uniqueKeysWithValues: trained.namedParameters().map { ($0.name, $0.tensor.copy()) })
        guard case .encoderDecoder(let model) = try AnyTransformerModel(config: config, values: { _ in weights }) else {
            throw ExperimentError("expected an encoder-decoder")
        }
        let sentence = examples[0]
        let others = examples.dropFirst().sorted { $0.source.count + $0.target.count < $1.source.count + $1.target.count }
        let count = min(7, others.count / 2)
        let c = config
        func logits(_ batch: [Example], training: Bool) -> [Float] {
            model.train(training)
            let b = TrainingBatch.collate(batch, padId: Int32(c.padId ?? 0), bosId: Int32(c.bosId), eosId: Int32(c.eosId))
            guard let source = b.source else { return [] }
            let out = withNoGrad { model.targetLogits(source: source, targetIn: b.targetIn, targets: b.targetOut).logits }
            // The rows come sentence by sentence: the first sentence's target tokens (with <eos>) come first.
            return Array(out.scalars.prefix((sentence.target.count + 1) * out.shape[1]))
        }
        func relative(_ a: [Float], _ b: [Float]) -> Double {
            let diff = zip(a, b).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
            let norm = a.reduce(0.0) { $0 + Double($1 * $1) }
            return (diff / max(norm, 1e-30)).squareRoot()
        }
        // Inference first: a training pass moves the running averages.
        let inference = logits([sentence], training: false)
        let withShort = logits([sentence] + others.prefix(count), training: true)
        let withLong = logits([sentence] + others.suffix(count), training: true)
        return (relative(withShort, withLong), relative(withShort, inference))
    }
}
