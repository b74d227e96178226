// Short training runs for the experiments: a small encoder-decoder trained on Multi30k (the
// bundled model's tokenizer, a fixed seed, a fixed number of updates), measured by its training
// curve, the gradient norm of each update, validation loss and greedy BLEU. The same Trainer as
// `transformer train`, without a run directory.
import Evaluation
import Foundation
import Models
import Tokenization
import Training

/// Training and validation pairs, tokenized once for every run of an experiment.
struct ExperimentData {
    let tokenizer: Tokenizer
    let train: Corpus
    let valid: Corpus

    /// Multi30k's train and val files under the context's data directory (the first `trainPairs`
    /// and `validPairs`), with the bundled model's tokenizer.
    static func multi30k(_ context: ExperimentContext, trainPairs: Int, validPairs: Int) throws -> ExperimentData {
        let tokenizer = try bundledTokenizer(context)
        return ExperimentData(tokenizer: tokenizer, train: try corpus(context, "train", trainPairs, tokenizer),
                              valid: try corpus(context, "val", validPairs, tokenizer))
    }

    /// The bundled model's tokenizer.
    static func bundledTokenizer(_ context: ExperimentContext) throws -> Tokenizer {
        guard let model = context.modelDirectory else { throw ExperimentError("training experiments use the bundled model's tokenizer: pass --model DIR") }
        return try Tokenizer(contentsOfFile: model.appendingPathComponent("tokenizer.json").path)
    }

    /// The first `count` pairs of Multi30k's `name`.de / `name`.en (train, val, test_2016_flickr), tokenized
    /// (pairs over 64 tokens on either side left out).
    static func corpus(_ context: ExperimentContext, _ name: String, _ count: Int, _ tokenizer: Tokenizer) throws -> Corpus {
        let pairs = try ParallelCorpus.pairs(source: try context.dataFile("multi30k/\(name).de").path,
                                             target: try context.dataFile("multi30k/\(name).en").path)
        return ParallelCorpus.tokenize(Array(pairs.prefix(count)), tokenizer: tokenizer, maxSourceLength: 64, maxTargetLength: 64)
    }
}

/// What one run measured.
struct TrainingOutcome {
    var steps: [Int] = []
    var losses: [Double] = []
    var gradientNorms: [Double] = []
    var validLoss = Double.nan
    var bleu = Double.nan
    /// Updates skipped because the loss or a gradient was not finite.
    var skipped = 0
    /// The trained model, in inference mode (nil if the run diverged).
    var model: EncoderDecoderModel?
    /// The gradient norm of each layer at initialization and after each of the first updates (`probeLayers`).
    var layerGradientNorms: [LayerGradientNorms] = []

    var diverged: Bool { skipped > 0 || !validLoss.isFinite }
}

enum ExperimentTraining {
    /// A small model: 2 + 2 layers of width 128 (the `tiny` preset's size), dropout 0.1.
    static func smallModel(layers: Int = 2) -> TransformerConfig {
        var c = TransformerConfig()
        (c.dModel, c.heads, c.ff, c.encoderLayers, c.decoderLayers, c.maxLen) = (128, 4, 512, layers, layers, 128)
        c.shareEmbeddings = true
        c.tieOutput = true
        return c
    }

    /// Trains `model` for `steps` updates of about `maxTokens` target tokens at learning rate
    /// `peak`, reached by a linear warm-up over `warmup` updates (0: from the first update), and
    /// measures it.
    /// `configure` changes anything else in the training config (scheduled sampling, say).
    /// `probeLayers` > 0 measures the gradient norm of each layer at initialization and after each of
    /// that many first updates.
    static func run(_ model: TransformerConfig, data: ExperimentData, steps: Int, maxTokens: Int, warmup: Int,
                    peak: Double = 1e-3, seed: UInt64 = 1, probeLayers: Int = 0, configure: (inout TrainingConfig) -> Void = { _ in },
                    log: (String) -> Void) throws -> TrainingOutcome {
        var config = TrainingConfig()
        config.model = model
        config.model.family = .encoderDecoder
        guard let pad = data.tokenizer.padID, let bos = data.tokenizer.bosID, let eos = data.tokenizer.eosID else {
            throw ExperimentError("the tokenizer lacks <pad>, <bos> or <eos>")
        }
        (config.model.srcVocab, config.model.tgtVocab) = (data.tokenizer.vocabSize, data.tokenizer.vocabSize)
        (config.model.padId, config.model.bosId, config.model.eosId) = (Int(pad), Int(bos), Int(eos))
        config.training.seed = seed
        config.training.maxSteps = steps
        config.training.maxTokens = maxTokens
        config.training.validateEvery = steps
        // A diverging run stops after a third of its updates were skipped; the others never skip.
        config.training.maxBadSteps = max(3, steps / 3)
        // A constant rate after the warm-up: short runs compare models, not schedules.
        config.schedule.kind = "constant"
        config.schedule.warmup = warmup
        config.schedule.peakLR = peak
        configure(&config)
        try config.model.validate()
        let trainer = try Trainer(config: config, train: data.train, valid: data.valid, tokenizer: data.tokenizer, run: nil)
        var outcome = TrainingOutcome()
        let probe = probeLayers > 0 ? LayerGradientNorms.probeBatch(data, maxTokens: maxTokens) : nil
        if let probe { outcome.layerGradientNorms.append(LayerGradientNorms(trainer.model, batch: probe, update: 0)) }
        trainer.onStep = { result in
            if result.skipped { outcome.skipped += 1; return }
            outcome.steps.append(result.step)
            outcome.losses.append(result.loss)
            outcome.gradientNorms.append(result.gradientNorm)
            if let probe, result.step <= probeLayers {
                outcome.layerGradientNorms.append(LayerGradientNorms(trainer.model, batch: probe, update: result.step))
            }
        }
        do { try trainer.run(until: steps) } catch {
            log("stopped: \(error)")
            outcome.skipped = max(outcome.skipped, 1)
        }
        if let v = try trainer.validate() { outcome.validLoss = v.loss }
        if case .encoderDecoder(let m) = trainer.model, outcome.validLoss.isFinite {
            m.train(false)
            outcome.model = m
            let hypotheses = withNoGrad { GreedyValidationTranslator().translate(data.valid.examples.map(\.source), model: m) }
            outcome.bleu = try BLEU.corpusScore(hypotheses: hypotheses.map { data.tokenizer.decode($0) },
                                                references: [data.valid.examples.map { data.tokenizer.decode($0.target) }]).score
        }
        log(String(format: "%d updates: last loss %.3f, validation loss %.3f, BLEU %.2f", outcome.steps.count,
                   outcome.losses.last ?? .nan, outcome.validLoss, outcome.bleu))
        return outcome
    }
}
