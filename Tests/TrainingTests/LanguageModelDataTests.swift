// Language-model data as nanoGPT prepares it: raw text split by characters, a character-level
// tokenizer, windows at seeded random offsets, validation over every held-out token, exact
// resumption, and a time budget that ends with a validation, a checkpoint and the cosine's end.
import Foundation
import Testing
import Tokenization
import Training

@Suite struct LanguageModelDataTests {
    let text = "First Citizen:\n  Before we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"

    @Test func textIsKeptAsItIsAndTheLastFractionOfCharactersIsHeldOut() throws {
        let dir = temporaryDirectory("lm-text")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "  é\n\nab  \n".write(toFile: dir + "/t.txt", atomically: true, encoding: .utf8)
        let read = try TextCorpus.read(dir + "/t.txt")
        #expect(read == "  é\n\nab  \n")
        let (train, valid) = TextCorpus.split(read, validFraction: 0.5)
        #expect(train == "  é\n\n" && valid == "ab  \n")
        #expect(TextCorpus.split(read, validFraction: 0).valid.isEmpty)
        #expect(throws: TrainingError.self) { try TextCorpus.read(dir + "/missing.txt") }
    }

    @Test func characterTokenizerHasTheTextsCharactersAfterTheSpecials() throws {
        let tokenizer = try Tokenizer.characters(of: text)
        let alphabet = Set(text.unicodeScalars).sorted { $0.value < $1.value }
        #expect(tokenizer.vocabSize == 4 + alphabet.count)
        #expect(tokenizer.padID == 0 && tokenizer.bosID == 1 && tokenizer.eosID == 2 && tokenizer.unkID == 3)
        let ids = tokenizer.encode(text)
        #expect(ids == text.unicodeScalars.map { c in Int32(4 + alphabet.firstIndex(of: c)!) })
        #expect(tokenizer.decode(ids) == text)
        #expect(tokenizer.prefixIDs.isEmpty && tokenizer.suffixIDs.isEmpty)
        // A character outside the text is unknown; saved and loaded, the ids stay.
        #expect(tokenizer.encode("Fé") == [tokenizer.encode("F")[0], 3])
        let dir = temporaryDirectory("lm-chars")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try tokenizer.save(to: dir + "/tokenizer.json")
        let loaded = try Tokenizer(contentsOfFile: dir + "/tokenizer.json")
        #expect(loaded.encode(text) == ids && loaded.decode(ids) == text)
    }

    @Test func validationBlocksPredictEveryTokenButTheFirstOnce() {
        let stream = (0..<23).map { Int32($0) }
        let blocks = TextCorpus.blocks(stream, blockSize: 5)
        let predicted = blocks.examples.flatMap { $0.target.dropFirst() }
        #expect(predicted == Array(stream.dropFirst()))
        #expect(blocks.examples.allSatisfy { $0.source.isEmpty && $0.target.count <= 6 })
        #expect(TextCorpus.blocks([7], blockSize: 5).examples.isEmpty)
    }

    @Test func windowsAreSeededShiftedByOneAndInRange() throws {
        let stream = (0..<100).map { Int32($0 % 50 + 4) }
        let sampler = try WindowSampler(stream: stream, blockSize: 8, windows: 3, seed: 5)
        #expect(sampler.batchesPerEpoch == 99 / 24)
        #expect(sampler.offsets(batch: 7) == (try WindowSampler(stream: stream, blockSize: 8, windows: 3, seed: 5)).offsets(batch: 7))
        #expect(sampler.offsets(batch: 7) != sampler.offsets(batch: 8))
        let all = (0..<200).flatMap { sampler.offsets(batch: $0) }
        #expect(all.allSatisfy { $0 >= 0 && $0 + 8 < stream.count })
        #expect(Set(all).count > 50, "offsets spread over the stream")
        let batch = sampler.batch(3, padId: 0)
        #expect(batch.targetIn.shape == [3, 8] && batch.targetOut.shape == [3, 8] && batch.targetTokens == 24)
        for (r, start) in sampler.offsets(batch: 3).enumerated() {
            #expect(Array(batch.targetIn.intScalars[(r * 8)..<(r * 8 + 8)]) == Array(stream[start..<(start + 8)]))
            #expect(Array(batch.targetOut.intScalars[(r * 8)..<(r * 8 + 8)]) == Array(stream[(start + 1)...(start + 8)]))
        }
        #expect(throws: TrainingError.self) { try WindowSampler(stream: Array(stream.prefix(8)), blockSize: 8, windows: 1, seed: 0) }
    }

    /// A character-level language model on `text` repeated, in `dir`.
    func config(_ dir: String) throws -> TrainingConfig {
        try String(repeating: text, count: 6).write(toFile: dir + "/lm.txt", atomically: true, encoding: .utf8)
        let json = #"""
        {"task": "language-model",
         "model": {"d_model": 32, "heads": 2, "decoder_layers": 2, "ff": 64, "max_len": 16, "norm_first": true, "bias": false,
                   "positional": "learned", "scale_embedding": false, "tie_output": true, "dropout": 0, "label_smoothing": 0,
                   "activation": "gelu", "initialization": "gpt2"},
         "data": {"train_text": "lm.txt", "valid_fraction": 0.1, "block_size": 16},
         "tokenizer": {"kind": "characters"},
         "schedule": {"kind": "cosine", "peak_lr": 0.003, "min_lr": 0.0003, "warmup": 2},
         "training": {"seed": 4, "max_steps": 10, "max_tokens": 64, "log_every": 2, "validate_every": 4, "checkpoint_every": 3}}
        """#
        return try TrainingConfig.parse(Data(json.utf8), file: "lm.json")
    }

    @Test func aResumedLanguageModelRunMatchesAnUninterruptedOneBitForBit() throws {
        let dir = temporaryDirectory("lm-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try config(dir)
        var straight: [Double] = []
        let a = try TrainingSetup.makeTrainer(config: config, dataDirectory: dir, run: RunDirectory(dir + "/a"), resume: false) { _ in }
        #expect(a.windows?.windows == 4 && a.train.examples.isEmpty)
        // Every held-out token but the first is predicted once.
        let all = String(repeating: text, count: 6).unicodeScalars.count
        let held = all - Int(Double(all) * 0.9)
        #expect(a.valid?.examples.reduce(0) { $0 + $1.target.count - 1 } == held - 1)
        a.onStep = { straight.append($0.loss) }
        try a.run()
        #expect(a.state.epoch >= 1, "several passes over the short text")

        var resumed: [Double] = []
        let runB = RunDirectory(dir + "/b")
        let b1 = try TrainingSetup.makeTrainer(config: config, dataDirectory: dir, run: runB, resume: false) { _ in }
        b1.onStep = { resumed.append($0.loss) }
        try b1.run(until: 5)
        let b2 = try TrainingSetup.makeTrainer(config: config, dataDirectory: dir, run: runB, resume: true) { _ in }
        #expect(b2.state.step == 5)
        b2.onStep = { resumed.append($0.loss) }
        try b2.run()
        #expect(straight.count == 10)
        #expect(straight.map(\.bitPattern) == resumed.map(\.bitPattern), "\(straight) vs \(resumed)")
        for (p, q) in zip(a.model.module.parameters(), b2.model.module.parameters()) {
            #expect(p.scalars.map(\.bitPattern) == q.scalars.map(\.bitPattern))
        }
        #expect(straight.suffix(2).reduce(0, +) < straight.prefix(2).reduce(0, +), "loss falls: \(straight)")
    }

    @Test func aSpentTimeBudgetValidatesSavesAndEndsTheCosine() throws {
        let dir = temporaryDirectory("lm-time")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = try config(dir)
        config.training.maxSteps = 1_000_000
        config.training.validateEvery = 1_000_000
        config.training.checkpointEvery = 1_000_000
        config.training.maxMinutes = 1
        config.schedule.until = "max_minutes"
        config.schedule.warmup = 0
        try config.validate()
        let run = RunDirectory(dir + "/run")
        let trainer = try TrainingSetup.makeTrainer(config: config, dataDirectory: dir, run: run, resume: false) { _ in }
        var rates: [Double] = []
        trainer.onStep = { rates.append($0.learningRate) }
        // Started 59.8 s ago: the last 0.2 s of the budget remain.
        try trainer.run(started: Date().addingTimeInterval(-59.8))
        let step = trainer.state.step
        #expect(step >= 1 && step < 1_000_000)
        #expect(try run.index()?.latest == RunDirectory.checkpointName(step: step))
        let records = try MetricsLog.read(run.metricsPath)
        #expect(records.contains { $0.kind == "valid" && $0.step == step })
        #expect(rates.allSatisfy { $0 < 3e-4 + 0.01 * 2.7e-3 }, "the cosine is at its end: \(rates.prefix(3))")
        #expect((trainer.state.trainingSeconds ?? 0) >= 59.8)
    }

    @Test func configErrorsNameTheNewKeys() throws {
        let dir = temporaryDirectory("lm-config")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = try config(dir)
        config.tokenizer.kind = "words"
        #expect(throws: TrainingError.self) { try config.validate() }
        config.tokenizer.kind = "characters"
        config.schedule.until = "max_minutes"
        #expect(throws: TrainingError.self) { try config.validate() }
        config.training.maxMinutes = 5
        try config.validate()
        config.schedule.kind = "noam"
        #expect(throws: TrainingError.self) { try config.validate() }
    }
}
