// Experiment 1, the training part: positions have to serve sentences longer than any seen in
// training. The same small encoder-decoder with each kind of position — sinusoidal and learned
// (added to the embeddings, §3.5 and its Table 3 row (E)), RoPE (Su et al. 2021) and ALiBi (Press
// et al. 2022) (both inside the self-attention) — trained on short Multi30k pairs only, then
// measured on held-out pairs bucketed by length: cross-entropy per target token, greedy BLEU,
// the length of the translations, and the loss at each target position.
import Evaluation
import Foundation
import Models
import Tokenization
import Training

public struct PositionLengthExperiment: Experiment {
    public let name = "position-length"
    public let claim = """
        Positions on lengths never seen in training: trained on short sentences only, the encodings that are relative \
        or extrapolate (sinusoidal, RoPE, ALiBi) lose less on longer sentences than learned absolute positions.
        """

    public init() {}

    /// The longer side of a pair in tokens (without <bos> and <eos>): a pair of length n uses encoder and
    /// decoder positions 0...n and no others.
    static func length(_ e: Example) -> Int { max(e.source.count, e.target.count) }

    public func run(_ context: ExperimentContext) throws -> ExperimentResult {
        // Upper ends of the length buckets; the first is the training limit. Multi30k's median pair is 14 tokens on its
        // longer side; 9,192 of its 29,000 training pairs are at most 12 tokens on both sides (the quick fixture's are 7–10).
        let bounds = context.quick ? [8, 64] : [12, 16, 20, 24, 64]
        let trainLimit = bounds[0]
        // Four trainings in about 20 minutes on the 2 shared cores.
        let steps = context.quick ? 8 : 400, maxTokens = context.quick ? 300 : 1000
        let perBucket = context.quick ? 8 : 200
        let tokenizer = try ExperimentData.bundledTokenizer(context)
        let short = try ExperimentData.corpus(context, "train", 29_000, tokenizer).examples.filter { Self.length($0) <= trainLimit }
        // Held out: val, then test 2016 for enough long pairs (the quick fixture's files hold the same eight pairs).
        var heldOut: [Example] = []
        for file in context.quick ? ["val"] : ["val", "test_2016_flickr"] {
            heldOut += try ExperimentData.corpus(context, file, .max, tokenizer).examples
        }
        let buckets = bounds.indices.map { i -> (low: Int, high: Int, examples: [Example]) in
            let low = i == 0 ? 1 : bounds[i - 1] + 1
            return (low, bounds[i], Array(heldOut.filter { (low...bounds[i]).contains(Self.length($0)) }.prefix(perBucket)))
        }
        context.log("\(short.count) training pairs of at most \(trainLimit) tokens; held-out buckets: "
                    + buckets.map { "\($0.low)–\($0.high): \($0.examples.count)" }.joined(separator: ", "))
        // The trainer's own validation (a few short pairs) only tells whether a run diverged; the buckets are measured below.
        let data = ExperimentData(tokenizer: tokenizer, train: Corpus(examples: short, skipped: 0),
                                  valid: Corpus(examples: Array(buckets[0].examples.prefix(16)), skipped: 0))
        let kinds: [PositionalEncodingKind] = [.sinusoidal, .learned, .rope, .alibi]
        struct Run {
            let kind: PositionalEncodingKind, outcome: TrainingOutcome, scores: [LengthScore], byPosition: [Double]
            /// From the trained lengths to the longest bucket.
            var rise: Double { scores[scores.count - 1].loss - scores[0].loss }
        }
        var results: [Run] = []
        for kind in kinds {
            context.log(kind.rawValue)
            var config = ExperimentTraining.smallModel()
            config.positional = kind
            let outcome = try ExperimentTraining.run(config, data: data, steps: steps, maxTokens: maxTokens, warmup: steps / 10, log: context.log)
            var positions = PositionLoss(minimumCount: context.quick ? 1 : 20)
            let scores = try buckets.map { b in
                try outcome.model.map { try LengthScore($0, b.examples, tokenizer: tokenizer, positions: &positions) } ?? LengthScore.diverged
            }
            context.log(kind.rawValue + ": " + zip(buckets, scores).map { b, s in
                String(format: "%d–%d loss %.3f BLEU %.2f", b.low, b.high, s.loss, s.bleu)
            }.joined(separator: ", "))
            results.append(Run(kind: kind, outcome: outcome, scores: scores, byPosition: positions.means))
        }

        // The verdict, fixed before the run: the rise of the loss from the trained lengths to the longest bucket
        // (about twice the trained length) is smaller for each of sinusoidal, RoPE and ALiBi than for learned
        // positions, by at least 0.05 nats.
        let learnedRise = results.first { $0.kind == .learned }?.rise ?? .nan
        let others = results.filter { $0.kind != .learned }
        let held: Bool? = context.quick ? nil : others.allSatisfy { $0.rise < learnedRise - 0.05 }

        let colors: [PositionalEncodingKind: String] = [.sinusoidal: "#1f77b4", .learned: "#d62728", .rope: "#2ca02c", .alibi: "#9467bd"]
        // Each bucket drawn at the mean length of its pairs.
        let centres = buckets.map { b in Double(b.examples.map(Self.length).reduce(0, +)) / Double(max(1, b.examples.count)) }
        func chart(_ title: String, _ y: String, _ value: @escaping (LengthScore) -> Double) -> String {
            SVGPlot.chart(title: title, xLabel: "pair length in tokens (mean of the bucket; trained ≤ \(trainLimit))", yLabel: y,
                          series: results.map { r in
                              PlotSeries(name: r.kind.rawValue, color: colors[r.kind] ?? "black",
                                         points: zip(centres, r.scores).compactMap { x, s in value(s).isFinite ? (x, value(s)) : nil })
                          }, width: 480, height: 340)
        }
        let byPosition = SVGPlot.chart(title: "Loss at each target position (trained: 0–\(trainLimit))", xLabel: "target position",
                                       yLabel: "cross-entropy (nats)", series: results.map { r in
                                           PlotSeries(name: r.kind.rawValue, color: colors[r.kind] ?? "black",
                                                      points: r.byPosition.enumerated().compactMap { p, v in v.isFinite ? (Double(p), v) : nil })
                                       }, width: 480, height: 340)
        let figure = try context.figure("position-length.svg", SVGHeatMap.combine([
            chart("Validation loss by length", "cross-entropy per target token (nats)") { $0.loss },
            chart("Greedy BLEU by length", "BLEU") { $0.bleu },
            chart("Translation length / reference length", "ratio") { $0.lengthRatio },
            byPosition,
        ], title: "Positions trained on pairs of ≤ \(trainLimit) tokens (\(steps) updates of ~\(maxTokens) target tokens)", columns: 2))

        let lines = results.map { r in
            String(format: "%@: loss %.3f on the trained lengths, %.3f at %d+ tokens (%+.3f); BLEU %.1f → %.1f",
                   r.kind.rawValue, r.scores[0].loss, r.scores[r.scores.count - 1].loss, buckets[buckets.count - 1].low, r.rise,
                   r.scores[0].bleu, r.scores[r.scores.count - 1].bleu)
        }
        let verdict = held == nil ? "A --quick run is too short to decide."
            : held! ? "The claim holds: each of sinusoidal, RoPE and ALiBi loses at least 0.05 nats less than learned positions on the longest pairs."
            : "The claim does not hold as measured: " + others.filter { $0.rise >= learnedRise - 0.05 }.map(\.kind.rawValue).joined(separator: ", ")
                + " did not lose at least 0.05 nats less than learned positions on the longest pairs."
        return ExperimentResult(conclusion: lines.joined(separator: "; ") + ". " + verdict, held: held, numbers: [
            "train_limit": .number(Double(trainLimit)), "train_pairs": .number(Double(short.count)),
            "updates": .number(Double(steps)), "max_tokens": .number(Double(maxTokens)),
            "buckets": .list(buckets.map { .object(["low": .number(Double($0.low)), "high": .number(Double($0.high)),
                                                   "pairs": .number(Double($0.examples.count))]) }),
            "bucket_mean_length": .numbers(centres),
            "runs": .list(results.map { r in .object([
                "positional": .text(r.kind.rawValue), "skipped_updates": .number(Double(r.outcome.skipped)),
                "losses": .numbers(r.outcome.losses),
                "loss_by_bucket": .numbers(r.scores.map(\.loss)), "bleu_by_bucket": .numbers(r.scores.map(\.bleu)),
                "length_ratio_by_bucket": .numbers(r.scores.map(\.lengthRatio)),
                "loss_rise_longest": .number(r.rise), "loss_by_target_position": .numbers(r.byPosition),
            ]) }),
        ], figures: [figure])
    }
}

/// A trained model on one length bucket: cross-entropy per target token (without label smoothing,
/// <eos> included), greedy BLEU, and the length of its translations over that of the references.
struct LengthScore {
    var loss: Double
    var bleu: Double
    var lengthRatio: Double

    static let diverged = LengthScore(loss: .nan, bleu: .nan, lengthRatio: .nan)

    init(loss: Double, bleu: Double, lengthRatio: Double) { (self.loss, self.bleu, self.lengthRatio) = (loss, bleu, lengthRatio) }

    /// Scores `model` (in inference mode) on `examples`, adding each token's loss to `positions`.
    init(_ model: EncoderDecoderModel, _ examples: [Example], tokenizer: Tokenizer, positions: inout PositionLoss) throws {
        guard !examples.isEmpty else { self = .diverged; return }
        let c = model.config
        var (total, count) = (0.0, 0)
        for start in stride(from: 0, to: examples.count, by: 32) {
            let batch = Array(examples[start..<min(start + 32, examples.count)])
            let b = TrainingBatch.collate(batch, padId: Int32(c.padId ?? 0), bosId: Int32(c.bosId), eosId: Int32(c.eosId))
            guard let source = b.source else { continue }
            let out = withNoGrad { model.targetLogits(source: source, targetIn: b.targetIn, targets: b.targetOut) }
            let (logits, targets, v) = (out.logits.scalars, out.targets.intScalars, out.logits.shape[1])
            // The rows come sentence by sentence, each with its target tokens and <eos>: row j of a sentence is position j.
            var row = 0
            for e in batch {
                for position in 0...e.target.count where row < targets.count {
                    let x = logits[(row * v)..<((row + 1) * v)]
                    let top = Double(x.max() ?? 0)
                    let logSum = top + log(x.reduce(0.0) { $0 + exp(Double($1) - top) })
                    let nll = logSum - Double(x[x.startIndex + Int(targets[row])])
                    total += nll
                    count += 1
                    positions.add(nll, at: position)
                    row += 1
                }
            }
        }
        let hypotheses = withNoGrad { GreedyValidationTranslator().translate(examples.map(\.source), model: model) }
        let references = examples.map { tokenizer.decode($0.target) }
        self.init(loss: total / Double(max(count, 1)),
                  bleu: try BLEU.corpusScore(hypotheses: hypotheses.map { tokenizer.decode($0) }, references: [references]).score,
                  lengthRatio: Double(hypotheses.map(\.count).reduce(0, +)) / Double(max(1, examples.map(\.target.count).reduce(0, +))))
    }
}

/// The mean loss at each target position over every pair scored (positions up to 40).
struct PositionLoss {
    /// Positions scored fewer times are left out (nan): too few tokens to mean anything.
    let minimumCount: Int
    private var sums: [Double] = []
    private var counts: [Int] = []

    init(minimumCount: Int) { self.minimumCount = minimumCount }

    mutating func add(_ loss: Double, at position: Int) {
        guard position <= 40 else { return }
        while sums.count <= position { sums.append(0); counts.append(0) }
        sums[position] += loss
        counts[position] += 1
    }

    var means: [Double] { zip(sums, counts).map { $1 >= minimumCount ? $0 / Double($1) : .nan } }
}
