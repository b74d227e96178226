// Experiment 6, cache against quality (Shazeer 2019, MQA; Ainslie et al. 2023, GQA; DeepSeek-V2
// 2024, MLA): decoding keeps every earlier key and value of every layer, and the heads' own keys
// and values are what makes that cache large. Sharing them (GQA: a few key/value heads, MQA: one)
// or caching a small latent from which they are rebuilt (MLA) shrinks the cache by a factor;
// the claim is that quality drops little. The same small encoder-decoder with each kind, trained
// with the same data, seed and updates, measured by validation loss, greedy BLEU, KV-cache bytes
// per generated token and decoding speed.
import Foundation
import Generation
import Models
import Training

public struct CacheQualityExperiment: Experiment {
    public let name = "cache-quality"
    public let claim = """
        Cache against quality: GQA, MQA and MLA keep a KV cache several times smaller per token than multi-head \
        attention, at a small cost in quality.
        """

    public init() {}

    struct Variant {
        let label: String
        let configure: (inout TransformerConfig) -> Void
    }

    public func run(_ context: ExperimentContext) throws -> ExperimentResult {
        let steps = context.quick ? 10 : 600, maxTokens = context.quick ? 400 : 2000
        let data = try ExperimentData.multi30k(context, trainPairs: context.quick ? 400 : 29_000, validPairs: context.quick ? 16 : 500)
        let variants = [
            Variant(label: "MHA (4 key/value heads)") { $0.attention = .mha },
            Variant(label: "GQA (2 key/value heads)") { ($0.attention, $0.kvHeads) = (.gqa, 2) },
            Variant(label: "MQA (1 key/value head)") { $0.attention = .mqa },
            Variant(label: "MLA (latent 32 + RoPE 16)") { ($0.attention, $0.mlaLatent, $0.mlaRopeDim) = (.mla, 32, 16) },
        ]
        struct Run { let label: String; let cacheBytes: Int; let outcome: TrainingOutcome; let tokensPerSecond: Double }
        var runs: [Run] = []
        for variant in variants {
            context.log(variant.label)
            var model = ExperimentTraining.smallModel()
            variant.configure(&model)
            let outcome = try ExperimentTraining.run(model, data: data, steps: steps, maxTokens: maxTokens, warmup: steps / 10, log: context.log)
            var config = model
            (config.srcVocab, config.tgtVocab) = (data.tokenizer.vocabSize, data.tokenizer.vocabSize)
            let cacheBytes = try ModelSummary(config: config).kvCacheBytesPerToken
            var speed = Double.nan
            if let m = outcome.model {
                // Greedy decoding of the validation sources, batches of 32 as `translate` runs them.
                let sources = data.valid.examples.map { m.sourceSequence($0.source) }
                var options = TranslationOptions()
                options.beamSize = 1
                var generated = 0
                let seconds = medianSeconds(repeats: 3) {
                    let out = withNoGrad { Translator(model: m, options: options).translate(sources) }
                    generated = out.reduce(0) { $0 + ($1.first?.tokens.count ?? 0) }
                }
                speed = Double(generated) / seconds
            }
            context.log(String(format: "%@: KV cache %d bytes per token, %.0f tokens/s", variant.label, cacheBytes, speed))
            runs.append(Run(label: variant.label, cacheBytes: cacheBytes, outcome: outcome, tokensPerSecond: speed))
        }
        let colors = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd"]
        func panel(_ title: String, _ y: String, _ value: (Run) -> Double) -> String {
            SVGPlot.chart(title: title, xLabel: "KV-cache bytes per generated token (float32, all decoder layers)", yLabel: y,
                          series: runs.enumerated().map { i, r in
                              PlotSeries(name: r.label, color: colors[i % colors.count],
                                         points: value(r).isFinite ? [(Double(r.cacheBytes), value(r))] : [])
                          }, width: 520, height: 380)
        }
        let figure = try context.figure("cache-quality.svg", SVGHeatMap.combine([
            panel("Validation loss", "loss (nats/token)") { $0.outcome.validLoss },
            panel("Greedy BLEU", "BLEU") { $0.outcome.bleu },
            panel("Decoding speed (greedy, batches of 32)", "tokens/s") { $0.tokensPerSecond },
        ], title: "Cache against quality: \(steps) updates of ~\(maxTokens) target tokens each", columns: 3))
        let mha = runs[0]
        // Held when every smaller cache costs at most 0.15 nats of validation loss against MHA.
        let costs = runs.dropFirst().map { $0.outcome.validLoss - mha.outcome.validLoss }
        let held: Bool? = context.quick ? nil : costs.allSatisfy { $0.isFinite && $0 <= 0.15 }
        let conclusion = runs.map { r in
            String(format: "%@: %d bytes/token (%.1f× smaller), validation loss %.3f, BLEU %.1f, %.0f tokens/s",
                   r.label, r.cacheBytes, Double(mha.cacheBytes) / Double(max(r.cacheBytes, 1)), r.outcome.validLoss, r.outcome.bleu, r.tokensPerSecond)
        }.joined(separator: "; ") + ". " + (held == nil ? "A --quick run is too short to decide."
            : held! ? "Every smaller cache costs at most 0.15 nats of validation loss: the claim holds."
            : "At least one smaller cache costs more than 0.15 nats of validation loss: the claim does not hold as measured.")
        return ExperimentResult(conclusion: conclusion, held: held, numbers: [
            "updates": .number(Double(steps)), "max_tokens": .number(Double(maxTokens)),
            "runs": .list(runs.map { r in .object([
                "attention": .text(r.label), "kv_cache_bytes_per_token": .number(Double(r.cacheBytes)),
                "valid_loss": .number(r.outcome.validLoss), "bleu": .number(r.outcome.bleu),
                "decoding_tokens_per_second": .number(r.tokensPerSecond), "losses": .numbers(r.outcome.losses),
            ]) }),
        ], figures: [figure])
    }
}
