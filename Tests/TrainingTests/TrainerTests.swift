// The training loop: the loss falls on a toy task, non-finite steps are skipped and then stop
// training, scheduled sampling mixes at its scheduled rate, gradient accumulation matches one big batch,
// bf16 mixed precision follows float32 closely and gives the same bits on 1 and 2 threads.
import Foundation
import Testing
import Training

@Suite(.serialized) struct TrainerTests {
    @Test func lossGoesDownOnAToyTask() throws {
        var config = toyConfig(steps: 60)
        config.model.dropout = 0
        let trainer = try Trainer(config: config, train: toyCorpus(count: 64, seed: 1), valid: nil, tokenizer: nil, run: nil)
        var losses: [Double] = []
        trainer.onStep = { losses.append($0.loss) }
        try trainer.run()
        #expect(losses.count == 60)
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(5).reduce(0, +) / 5
        #expect(last < first * 0.7, "loss \(first) → \(last)")
    }

    @Test func nonFiniteStepIsSkippedWithoutTouchingTheWeights() throws {
        let trainer = try Trainer(config: toyConfig(), train: toyCorpus(count: 32, seed: 1), valid: nil, tokenizer: nil, run: nil)
        let batch = TrainingBatch.collate(Array(trainer.train.examples.prefix(4)), padId: 0, bosId: 1, eosId: 2)
        trainer.step([batch])
        let weight = trainer.model.module.namedParameters().first { $0.name.hasSuffix("feedForward.linear1.weight") }?.tensor
            ?? trainer.model.module.parameters()[3]
        let saved = weight.data[0]
        weight.data[0] = .nan
        let snapshot = trainer.model.module.parameters().map(\.scalars)
        let result = trainer.step([batch])
        #expect(result.skipped && trainer.state.step == 1 && trainer.state.skippedSteps == 1 && trainer.optimizer.step == 1)
        #expect(trainer.model.module.parameters().map(\.scalars).elementsEqual(snapshot) { a, b in
            zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
        })
        #expect(trainer.model.module.parameters().allSatisfy { $0.grad == nil })
        weight.data[0] = saved
        #expect(!trainer.step([batch]).skipped && trainer.state.step == 2 && trainer.state.badSteps == 0)
    }

    @Test func repeatedNonFiniteStepsStopTrainingAndKeepTheLastCheckpoint() throws {
        let dir = temporaryDirectory("nan")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = RunDirectory(dir)
        try run.create()
        var config = toyConfig(steps: 50)
        config.training.maxBadSteps = 3
        let trainer = try Trainer(config: config, train: toyCorpus(count: 32, seed: 1), valid: nil, tokenizer: nil, run: run)
        try trainer.run(until: 5)
        let good = try run.checkpoint()
        // A weight every token goes through (not the padding token's embedding row, which training skips).
        let weight = trainer.model.module.namedParameters().first { $0.name.hasSuffix("feedForward.linear1.weight") }?.tensor
        try #require(weight != nil)
        weight!.data[0] = .infinity
        do {
            try trainer.run()
            Issue.record("training went on")
        } catch let error as TrainingError {
            #expect(error.message.contains("3 steps in a row") && error.message.contains("step-00000005"))
        }
        #expect(try run.checkpoint() == good)
        let fresh = try Trainer(config: config, train: trainer.train, valid: nil, tokenizer: nil, run: nil)
        try fresh.restore(from: good)
        #expect(fresh.model.module.parameters().allSatisfy { $0.scalars.allSatisfy(\.isFinite) })
        #expect(fresh.state.step == 5)
    }

    @Test func scheduledSamplingProbabilityRisesAndMixesAtThatRate() {
        var settings = ScheduledSamplingSettings()
        #expect(ScheduledSampling(settings: settings, seed: 1).probability(at: 10_000) == 0)
        settings.enabled = true
        settings.maxProbability = 0.5
        settings.startStep = 100
        settings.rampSteps = 200
        var sampling = ScheduledSampling(settings: settings, seed: 1)
        #expect(sampling.probability(at: 50) == 0 && sampling.probability(at: 200) == 0.25 && sampling.probability(at: 900) == 0.5)
        // Logits whose argmax is always id 3; gold inputs are 5; the first position (<bos>) and padding never change.
        let (b, t, v) = (64, 33, 6)
        var ids = [Int32](repeating: 5, count: b * t)
        for r in 0..<b { ids[r * t] = 1; ids[r * t + t - 1] = 0 }
        var logits = [Float](repeating: 0, count: b * t * v)
        for i in 0..<(b * t) { logits[i * v + 3] = 1 }
        let mixed = sampling.mix(targetIn: Tensor(ints: ids, shape: [b, t]), logits: Tensor(logits, shape: [b, t, v]),
                                 probability: 0.25, padId: 0)
        let m = mixed.intScalars
        #expect((0..<b).allSatisfy { m[$0 * t] == 1 && m[$0 * t + t - 1] == 0 })
        let replaced = m.filter { $0 == 3 }.count
        let eligible = b * (t - 2)
        #expect(abs(Double(replaced) / Double(eligible) - 0.25) < 0.03, "\(replaced) of \(eligible)")
    }

    @Test func accumulationMatchesOneBatchOfTheSameExamples() throws {
        var config = toyConfig()
        config.model.dropout = 0
        let examples = Array(toyCorpus(count: 8, seed: 4).examples)
        let whole = TrainingBatch.collate(examples, padId: 0, bosId: 1, eosId: 2)
        let halves = [TrainingBatch.collate(Array(examples[..<4]), padId: 0, bosId: 1, eosId: 2),
                      TrainingBatch.collate(Array(examples[4...]), padId: 0, bosId: 1, eosId: 2)]
        let a = try Trainer(config: config, train: Corpus(examples: examples, skipped: 0), valid: nil, tokenizer: nil, run: nil)
        let b = try Trainer(config: config, train: Corpus(examples: examples, skipped: 0), valid: nil, tokenizer: nil, run: nil)
        let ra = a.step([whole]), rb = b.step(halves)
        // The same token-mean loss and the same gradients (their global norm), up to float rounding.
        #expect(abs(ra.loss - rb.loss) < 1e-5 && abs(ra.gradientNorm - rb.gradientNorm) < 1e-4 * ra.gradientNorm)
        #expect(ra.targetTokens == rb.targetTokens)
    }

    @Test func bf16LossFallsAndStaysCloseToFloat32() throws {
        var config = toyConfig(steps: 40)
        config.model.dropout = 0
        let corpus = toyCorpus(count: 64, seed: 1)
        let f32 = try trainingLosses(config, corpus: corpus)
        config.training.precision = .bf16
        let bf16 = try trainingLosses(config, corpus: corpus)
        #expect(bf16 != f32, "the precision does not reach the products")
        let first = bf16.prefix(5).reduce(0, +) / 5, last = bf16.suffix(5).reduce(0, +) / 5
        #expect(last < first * 0.7, "bf16 loss \(first) → \(last)")
        let lastF32 = f32.suffix(5).reduce(0, +) / 5
        #expect(abs(bf16[0] - f32[0]) < 0.01 * f32[0], "first step: bf16 \(bf16[0]), f32 \(f32[0])")
        #expect(abs(last - lastF32) < 0.1 * lastF32, "last steps: bf16 \(last), f32 \(lastF32)")
    }

    /// Products large enough to be split over threads (rows × 128 × 128 and more).
    @Test func bf16IsBitIdenticalOnOneAndTwoThreads() throws {
        var config = toyConfig(steps: 3)
        config.model.dModel = 128
        config.model.heads = 4
        config.model.ff = 512
        config.training.maxTokens = 1200
        config.training.precision = .bf16
        let corpus = toyCorpus(count: 300, seed: 2)
        let one = try trainingLosses(config, corpus: corpus, threads: 1), two = try trainingLosses(config, corpus: corpus, threads: 2)
        #expect(one.count == 3 && one.map(\.bitPattern) == two.map(\.bitPattern), "\(one) vs \(two)")
    }
}
