// The training loop: teacher forcing over token-bounded batches, gradients summed over
// `accumulate` batches (each weighted by its share of target tokens, so the update follows the
// mean loss over all of them), clipping by global norm, Adam with a schedule, validation,
// checkpoints and metrics. A step whose loss or gradient norm is not finite is skipped (no
// update, reported); after `max_bad_steps` such steps in a row training stops with an error,
// leaving the last good checkpoint as it was.
import Evaluation
import Foundation
import Models
import Tokenization

/// Decoding for validation BLEU: target ids (no specials) for source ids (no specials).
/// `GreedyValidationTranslator` is the one `transformer train` uses.
public protocol ValidationTranslator {
    func translate(_ sources: [[Int32]], model: EncoderDecoderModel) -> [[Int32]]
}

public struct StepResult: Sendable {
    public let step: Int
    /// Token-weighted mean loss of the step's batches (non-finite when skipped for it).
    public let loss: Double
    public let gradientNorm: Double
    public let learningRate: Double
    public let targetTokens: Int
    public let skipped: Bool
}

public struct ValidationResult: Sendable {
    /// Label-smoothed loss (comparable to the training loss), plain NLL per token and its perplexity.
    public let loss: Double
    public let nll: Double
    public let perplexity: Double
    public let bleu: Double?
}

public final class Trainer {
    public let config: TrainingConfig
    public let model: TrainableModel
    public let optimizer: Adam
    public let schedule: LearningRateSchedule
    public private(set) var state: TrainingState
    public private(set) var sampling: ScheduledSampling
    public let train: Corpus
    public let valid: Corpus?
    public let batcher: TokenBatcher
    /// Language-model windows at random offsets; when set, training batches come from it, not `train`.
    public let windows: WindowSampler?
    public let tokenizer: Tokenizer?
    public let run: RunDirectory?
    public var translator: ValidationTranslator?
    public var progress: Progress?
    public var metrics: MetricsLog?
    /// Called after every step (tests collect losses with it).
    public var onStep: ((StepResult) -> Void)?
    private var epochBatches: (epoch: Int, batches: [[Int]])?
    /// Share of the time budget spent, for a schedule that ends with it (set by `run`).
    private var timeFraction: Double?

    /// A fresh run from `config`, whose model vocabulary and special ids must already match the
    /// data: `train`'s examples, or `windows` of a language model's text.
    public init(config: TrainingConfig, train: Corpus, valid: Corpus?, tokenizer: Tokenizer?, run: RunDirectory?,
                windows: WindowSampler? = nil) throws {
        self.config = config
        // Batches are padded with pad_id, which masks and the loss must recognise.
        guard config.model.padId != nil else { throw TrainingError("training needs a model with a pad_id (the config has none)") }
        let seed = config.training.seed
        model = try TrainableModel(config: config.model, seed: seed)
        model.module.train(true)
        optimizer = Adam(module: model.module, settings: config.optimizer)
        schedule = config.schedule.schedule(dModel: config.model.dModel, maxSteps: config.training.maxSteps)
        sampling = ScheduledSampling(settings: config.scheduledSampling, seed: seed &+ 2)
        state = TrainingState(dropout: model.randomSource.generator, sampling: sampling.generator)
        self.train = train
        self.valid = valid
        self.tokenizer = tokenizer
        self.run = run
        batcher = TokenBatcher(lengths: train.batchLengths, maxTokens: config.training.maxTokens, seed: seed &+ 3)
        self.windows = windows
        guard windows != nil || !batcher.batches(epoch: 0, shuffle: false).isEmpty else {
            throw TrainingError("no training examples fit the length limits and max_tokens (\(train.skipped) skipped)")
        }
    }

    /// Continues from a checkpoint directory: weights, moments, step, data position and random states.
    public func restore(from checkpoint: URL) throws {
        state = try TrainingCheckpoint.read(from: checkpoint, module: model.module, optimizer: optimizer)
        model.randomSource.generator = try state.dropout.generator()
        sampling.generator = try state.sampling.generator()
    }

    /// Padding, the first decoder input (bos, or the decoder start of a model that has one: Marian's
    /// is its pad id) and <eos>.
    private var ids: (pad: Int32, bos: Int32, eos: Int32) {
        (Int32(config.model.padId ?? 0), Int32(config.model.startId), Int32(config.model.eosId))
    }

    /// Starts from `module`'s weights (a loaded model of the same config: fine-tuning); every
    /// parameter must be there with its shape.
    public func loadWeights(from module: Module) throws {
        let source = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.name, $0.tensor) })
        for (name, p) in model.module.namedParameters() {
            guard let t = source[name], t.shape == p.shape else {
                throw TrainingError("the starting model has no parameter \(name) of shape \(p.shape)")
            }
            p.data.update(from: t.data, count: p.count)
            p.markModified()
        }
        withExtendedLifetime(source) {}
    }

    /// The next `count` batches in data order, moving to the next epoch when one runs out;
    /// nil when `max_epochs` is reached first.
    func nextBatches(_ count: Int) -> [TrainingBatch]? {
        var out: [TrainingBatch] = []
        while out.count < count {
            if let limit = config.training.maxEpochs, state.epoch >= limit { return nil }
            if let windows {
                out.append(windows.batch(state.epoch * windows.batchesPerEpoch + state.batchInEpoch, padId: ids.pad))
                state.batchInEpoch += 1
                if state.batchInEpoch == windows.batchesPerEpoch { (state.epoch, state.batchInEpoch) = (state.epoch + 1, 0) }
                continue
            }
            if epochBatches?.epoch != state.epoch { epochBatches = (state.epoch, batcher.batches(epoch: state.epoch)) }
            guard let batches = epochBatches?.batches, state.batchInEpoch < batches.count else {
                state.epoch += 1
                state.batchInEpoch = 0
                continue
            }
            let examples = batches[state.batchInEpoch].map { train.examples[$0] }
            out.append(TrainingBatch.collate(examples, padId: ids.pad, bosId: ids.bos, eosId: ids.eos))
            state.batchInEpoch += 1
        }
        return out
    }

    /// One update from `batches` (accumulated). Skips the update when the loss or gradients are not finite.
    @discardableResult
    public func step(_ batches: [TrainingBatch]) -> StepResult {
        let module = model.module
        let total = max(1, batches.reduce(0) { $0 + $1.targetTokens })
        let p = sampling.probability(at: state.step + 1)
        var loss = 0.0
        // Matrix products in the run's precision (`training.precision`); the rest is float32.
        MatmulPrecision.with(config.training.precision) {
            for batch in batches {
                var input = batch.targetIn
                if p > 0 {
                    // First pass: the model's own predictions, without gradients or dropout.
                    module.train(false)
                    let guess = withNoGrad { model.logits(batch) }
                    module.train(true)
                    input = sampling.mix(targetIn: batch.targetIn, logits: guess, probability: p, padId: ids.pad)
                }
                let shards = config.training.shards
                let parts = shards > 1 ? batch.shards(shards, targetIn: input, padId: ids.pad) : []
                loss += parts.count > 1 ? passInParallel(parts, total: total) : pass(batch, targetIn: input, total: total)
            }
        }
        let params = optimizer.parameters.map(\.tensor)
        let clip = config.optimizer.clipNorm
        let norm = clip > 0 ? GradientClipping.clip(params, maxNorm: clip) : GradientClipping.globalNorm(params)
        let lr = schedule.rate(at: state.step + 1, timeFraction: timeFraction)
        let skipped = !loss.isFinite || !norm.isFinite
        if skipped {
            state.badSteps += 1
            state.skippedSteps += 1
        } else {
            optimizer.update(learningRate: Float(lr))
            state.step += 1
            state.badSteps = 0
            state.tokens += total
        }
        // The optimizer's list is every parameter: no walk of the module tree (reflection) per step.
        for p in params { p.grad = nil }
        return StepResult(step: skipped ? state.step + 1 : state.step, loss: loss, gradientNorm: norm,
                          learningRate: lr, targetTokens: total, skipped: skipped)
    }

    /// Forward and backward of one batch (teacher forcing on `targetIn`), its loss weighted by its
    /// share of the step's `total` target tokens; gradients go to the parameters, or to `sink`.
    /// Returns the weighted loss.
    func pass(_ batch: TrainingBatch, targetIn: Tensor, total: Int, into sink: LeafGradients? = nil) -> Double {
        let out = model.targetLogits(batch, targetIn: targetIn, lengths: true)
        var l = model.loss(logits: out.logits, targets: out.targets)
        // The length head learns beside the translation (`length_head`); its loss is part of the step's.
        if let lengthLoss = out.lengthLoss { l = l + lengthLoss * config.model.lengthLossWeight }
        let weight = Float(batch.targetTokens) / Float(total)
        let value = l.item()
        if value.isFinite { l.backward(Tensor(scalar: weight), into: sink) }
        return Double(value) * Double(weight)
    }

    /// Loss, NLL and perplexity over the validation data (no dropout), and BLEU when a translator is
    /// set: of the model being trained, or of `other` (a model of the same config).
    public func validate(_ other: TrainableModel? = nil) throws -> ValidationResult? {
        guard let valid, !valid.examples.isEmpty else { return nil }
        let model = other ?? self.model
        let module = model.module
        module.train(false)
        defer { module.train(true) }
        let batcher = TokenBatcher(lengths: valid.batchLengths, maxTokens: config.training.maxTokens, seed: 0)
        var (smoothed, nll, tokens) = (0.0, 0.0, 0)
        withNoGrad {
            for indices in batcher.batches(epoch: 0, shuffle: false) {
                let batch = TrainingBatch.collate(indices.map { valid.examples[$0] }, padId: ids.pad, bosId: ids.bos, eosId: ids.eos)
                let out = model.targetLogits(batch)
                let n = Double(batch.targetTokens)
                smoothed += Double(model.loss(logits: out.logits, targets: out.targets).item()) * n
                nll += Double(model.loss(logits: out.logits, targets: out.targets, labelSmoothing: 0).item()) * n
                tokens += batch.targetTokens
            }
        }
        let count = Double(max(tokens, 1))
        return ValidationResult(loss: smoothed / count, nll: nll / count, perplexity: exp(nll / count), bleu: try bleu(valid, model))
    }

    private func bleu(_ valid: Corpus, _ model: TrainableModel) throws -> Double? {
        guard config.training.validationBLEU, let translator, let tokenizer, case .encoderDecoder(let m) = model else { return nil }
        let hypotheses = withNoGrad { translator.translate(valid.examples.map(\.source), model: m) }
        let references = valid.examples.map { tokenizer.decode($0.target) }
        return try BLEU.corpusScore(hypotheses: hypotheses.map { tokenizer.decode($0) }, references: [references]).score
    }

    /// Saves a checkpoint of the current state (with the random generators' positions).
    public func saveCheckpoint(validLoss: Double?) throws {
        guard let run else { return }
        state.dropout = GeneratorState(model.randomSource.generator)
        state.sampling = GeneratorState(sampling.generator)
        if let validLoss, validLoss < (state.bestValidLoss ?? .infinity) { state.bestValidLoss = validLoss }
        try run.saveCheckpoint(module: model.module, optimizer: optimizer, state: state,
                               validLoss: validLoss, keepLast: config.training.keepLast)
    }

    /// Trains until `max_steps` updates (or `max_epochs`, or `max_minutes` after `started`),
    /// validating, logging and checkpointing on the way; a run stopped by epochs or time still
    /// validates and saves where it stopped.
    public func run(until maxSteps: Int? = nil, started: Date = Date()) throws {
        let target = min(maxSteps ?? config.training.maxSteps, config.training.maxSteps)
        let t = config.training
        // A schedule that ends with the budget counts the whole run's time, across resumptions.
        let timedSchedule = config.schedule.until == "max_minutes"
        let before = state.trainingSeconds ?? 0
        let budget = t.maxMinutes.map { $0 * 60 }
        let deadline = budget.map { started.addingTimeInterval(timedSchedule ? $0 - before : $0) }
        if t.validationBLEU && translator == nil {
            progress?.message("note: no validation translator is set; reporting loss and perplexity only")
        }
        // Time spent in training steps only, so validation and saving do not lower tokens/s.
        var window = (seconds: 0.0, tokens: 0, loss: 0.0, steps: 0)
        var (lastSaved, lastValidated) = (state.step, state.step)
        var stoppedEarly = false
        defer { state.trainingSeconds = before + Date().timeIntervalSince(started) }
        while state.step < target {
            if let deadline, Date() >= deadline {
                progress?.message("step \(state.step): stopping, the \(t.maxMinutes ?? 0)-minute budget (training.max_minutes) is spent")
                stoppedEarly = true
                break
            }
            if timedSchedule, let budget { timeFraction = (before + Date().timeIntervalSince(started)) / budget }
            let stepStart = Date()
            guard let batches = nextBatches(config.optimizer.accumulate) else { stoppedEarly = true; break }
            let result = step(batches)
            window.seconds += Date().timeIntervalSince(stepStart)
            onStep?(result)
            if result.skipped {
                let why = result.loss.isFinite ? "gradient norm is \(result.gradientNorm)" : "loss is \(result.loss)"
                progress?.message("step \(result.step): skipped, \(why) (\(state.badSteps) in a row)")
                metrics?.append(MetricsRecord(kind: "skip", step: result.step, values: ["loss": result.loss, "grad_norm": result.gradientNorm]))
                if state.badSteps >= t.maxBadSteps {
                    progress?.finish()
                    let last = (try? run?.index()).flatMap { $0?.latest } ?? "none"
                    throw TrainingError("training stopped: \(state.badSteps) steps in a row had a non-finite loss or gradient "
                                        + "(last: \(why)); the last good checkpoint is \(last). Lower the learning rate or check the data.")
                }
                continue
            }
            window.tokens += result.targetTokens
            window.loss += result.loss
            window.steps += 1
            if state.step % t.logEvery == 0 || state.step == target {
                let rate = Double(window.tokens) / max(window.seconds, 1e-9)
                let values: [String: Double] = ["epoch": Double(state.epoch), "loss": window.loss / Double(window.steps),
                                                "lr": result.learningRate, "tokens_per_s": rate, "grad_norm": result.gradientNorm]
                metrics?.append(MetricsRecord(kind: "train", step: state.step, values: values))
                progress?.update(progress?.statusLine(epoch: state.epoch, step: state.step, loss: window.loss / Double(window.steps),
                                                      learningRate: result.learningRate, tokensPerSecond: rate,
                                                      secondsPerStep: window.seconds / Double(window.steps)) ?? "")
                window = (0, 0, 0, 0)
            }
            let validating = valid != nil && (state.step % t.validateEvery == 0 || state.step == target)
            let validLoss = validating ? try validateAndLog() : nil
            if validating { lastValidated = state.step }
            if state.step % t.checkpointEvery == 0 || validating || state.step == target {
                state.trainingSeconds = before + Date().timeIntervalSince(started)
                try saveCheckpoint(validLoss: validLoss)
                lastSaved = state.step
            }
        }
        // Stopped early (time, epochs): the model as it is gets validated and saved.
        let validLoss = valid != nil && state.step > lastValidated ? try validateAndLog() : nil
        if state.step > lastSaved {
            state.trainingSeconds = before + Date().timeIntervalSince(started)
            try saveCheckpoint(validLoss: validLoss)
        }
        // The run is over (not paused at `until`): its averaged end is validated too.
        if state.step >= t.maxSteps || stoppedEarly { try validateAverage() }
        progress?.finish()
    }

    /// With `training.average_last` N: the mean of the weights at the last N kept checkpoints (what
    /// `export --average N` writes), validated and logged as "valid_average".
    private func validateAverage() throws {
        guard config.training.averageLast >= 2, let run, valid != nil else { return }
        let checkpoints = try run.lastCheckpoints(config.training.averageLast)
        guard checkpoints.count >= 2 else { return }
        let averaged = try TrainableModel(config: model.config, seed: 0)
        try run.averageCheckpoints(checkpoints, into: averaged)
        guard let v = try validate(averaged) else { return }
        let span = "\(checkpoints[0].lastPathComponent) … \(checkpoints[checkpoints.count - 1].lastPathComponent)"
        log(v, kind: "valid_average", extra: ["checkpoints": Double(checkpoints.count)],
            label: "average of the last \(checkpoints.count) checkpoints (\(span), `export --average \(checkpoints.count)`):")
    }

    /// Validates (when there is validation data), logs the result and returns its loss.
    private func validateAndLog() throws -> Double? {
        guard let v = try validate() else { return nil }
        log(v, kind: "valid", label: "step \(state.step) ")
        return v.loss
    }

    /// A validation result in the metrics log (as `kind`, with `extra` values) and on the console after `label`.
    private func log(_ v: ValidationResult, kind: String, extra: [String: Double] = [:], label: String) {
        var values = extra.merging(["loss": v.loss, "nll": v.nll, "ppl": v.perplexity]) { $1 }
        if let bleu = v.bleu { values["bleu"] = bleu }
        metrics?.append(MetricsRecord(kind: kind, step: state.step, values: values))
        progress?.message(label + String(format: " validation loss %.4f  nll %.4f  ppl %.2f", v.loss, v.nll, v.perplexity)
                          + (v.bleu.map { String(format: "  BLEU %.2f", $0) } ?? ""))
    }
}
