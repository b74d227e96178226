// Checkpoints and resuming: a failure in the middle of a save leaves the previous checkpoint
// current and loadable; the last N and the best are kept; an interrupted and resumed run gives
// the same losses, bit for bit, as an uninterrupted one.
import Checkpoints
import Foundation
import Testing
import Training

@Suite(.serialized) struct CheckpointTests {
    @Test func failureMidSaveLeavesThePreviousCheckpointLoadable() throws {
        let dir = temporaryDirectory("atomic")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = RunDirectory(dir)
        try run.create()
        let trainer = try Trainer(config: toyConfig(steps: 20), train: toyCorpus(count: 32, seed: 1), valid: nil, tokenizer: nil, run: run)
        try trainer.run(until: 5)
        let first = try run.checkpoint()
        let weightsAt5 = trainer.model.module.parameters().map(\.scalars)
        run.setBeforeCommit { throw TrainingError("simulated crash") }
        defer { run.setBeforeCommit(nil) }
        #expect(throws: TrainingError.self) { try trainer.run(until: 7) }
        run.setBeforeCommit(nil)
        #expect(try run.checkpoint() == first)
        #expect(FileManager.default.fileExists(atPath: run.checkpointsURL.appendingPathComponent("step-00000007.partial").path))
        // A torn file inside the partial directory does not matter: the index never named it.
        let torn = run.checkpointsURL.appendingPathComponent("step-00000007.partial/weights.safetensors")
        try Data([1, 2, 3]).write(to: torn)
        let fresh = try Trainer(config: toyConfig(steps: 20), train: trainer.train, valid: nil, tokenizer: nil, run: nil)
        try fresh.restore(from: try run.checkpoint())
        #expect(fresh.state.step == 5)
        #expect(fresh.model.module.parameters().map(\.scalars) == weightsAt5)
        // The next save succeeds and replaces the partial directory.
        try trainer.saveCheckpoint(validLoss: nil)
        #expect(try run.checkpoint().lastPathComponent == "step-00000007")
    }

    @Test func keepsTheLastNAndTheBest() throws {
        let dir = temporaryDirectory("keep")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = RunDirectory(dir)
        try run.create()
        var config = toyConfig(steps: 30)
        config.training.keepLast = 2
        config.training.validateEvery = 1000
        config.training.checkpointEvery = 1
        let trainer = try Trainer(config: config, train: toyCorpus(count: 32, seed: 1), valid: nil, tokenizer: nil, run: run)
        let losses: [Double] = [5, 3, 4, 6, 7]
        for loss in losses {
            try trainer.run(until: trainer.state.step + 1)
            try trainer.saveCheckpoint(validLoss: loss)
        }
        let index = try #require(try run.index())
        #expect(index.latest == "step-00000005" && index.best == "step-00000002" && index.bestValidLoss == 3)
        let present = try FileManager.default.contentsOfDirectory(atPath: run.checkpointsURL.path).filter { $0.hasPrefix("step-") }.sorted()
        #expect(present == ["step-00000002", "step-00000004", "step-00000005"])
        #expect(try run.checkpoint(best: true).lastPathComponent == "step-00000002")
    }

    @Test func bf16RunResumesBitForBit() throws {
        let data = temporaryDirectory("resume-bf16")
        defer { try? FileManager.default.removeItem(atPath: data) }
        var config = try writeToyData(data)
        config.training.maxSteps = 6
        config.training.precision = .bf16
        // The precision comes from the resumed run's training.json.
        let (straight, resumed, a, b2) = try straightAndResumed(config, data: data, stop: 4)
        #expect(b2.config.training.precision == .bf16)
        #expect(straight.count == 6 && straight.map(\.bitPattern) == resumed.map(\.bitPattern), "\(straight) vs \(resumed)")
        for (p, q) in zip(a.model.module.parameters(), b2.model.module.parameters()) {
            #expect(p.scalars.map(\.bitPattern) == q.scalars.map(\.bitPattern))
        }
    }

    @Test func interruptedAndResumedRunMatchesAnUninterruptedOneBitForBit() throws {
        let data = temporaryDirectory("resume-data")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let config = try writeToyData(data)
        var straight: [Double] = []
        let a = try TrainingSetup.makeTrainer(config: config, dataDirectory: data, run: RunDirectory(data + "/run-a"), resume: false) { _ in }
        a.onStep = { straight.append($0.loss) }
        try a.run()

        var resumed: [Double] = []
        let runB = RunDirectory(data + "/run-b")
        let b1 = try TrainingSetup.makeTrainer(config: config, dataDirectory: data, run: runB, resume: false) { _ in }
        b1.onStep = { resumed.append($0.loss) }
        try b1.run(until: 7)
        // Starting again without --resume is refused; with it, the run continues from step 7.
        #expect(throws: TrainingError.self) { try TrainingSetup.makeTrainer(config: config, dataDirectory: data, run: runB, resume: false) { _ in } }
        let b2 = try TrainingSetup.makeTrainer(config: config, dataDirectory: data, run: runB, resume: true) { _ in }
        #expect(b2.state.step == 7)
        b2.onStep = { resumed.append($0.loss) }
        try b2.run()

        #expect(straight.count == 12)
        #expect(straight.map(\.bitPattern) == resumed.map(\.bitPattern), "\(straight) vs \(resumed)")
        for (p, q) in zip(a.model.module.parameters(), b2.model.module.parameters()) {
            #expect(p.scalars.map(\.bitPattern) == q.scalars.map(\.bitPattern))
        }
        // The run directory holds everything: configs, tokenizer, metrics with validation records.
        for file in ["training.json", "config.json", "tokenizer.json", "metrics.jsonl"] {
            #expect(FileManager.default.fileExists(atPath: runB.url.appendingPathComponent(file).path), "\(file)")
        }
        // Exported as a model directory, the weights load back unchanged.
        let exported = URL(fileURLWithPath: data + "/model")
        try runB.exportModel(to: exported, source: .latest)
        let loaded = try ModelDirectory.load(exported)
        #expect(loaded.config == b2.config.model)
        for (p, q) in zip(loaded.model.module.parameters(), b2.model.module.parameters()) { #expect(p.scalars == q.scalars) }
        #expect(FileManager.default.fileExists(atPath: exported.appendingPathComponent("tokenizer.json").path))

        // Averaged: the element-wise mean of the last two kept checkpoints.
        let averaged = URL(fileURLWithPath: data + "/averaged")
        let used = try runB.exportModel(to: averaged, source: .average(2))
        #expect(used.count == 2 && used.last?.lastPathComponent == "step-00000012")
        let mean = try ModelDirectory.load(averaged)
        let parts = try used.map { url -> [Tensor] in
            let m = try TrainableModel(config: b2.config.model, seed: 0)
            _ = try TrainingCheckpoint.read(from: url, module: m.module, optimizer: nil)
            return m.module.parameters()
        }
        for (k, p) in mean.model.module.parameters().enumerated() {
            let expected = zip(parts[0][k].scalars, parts[1][k].scalars).map { Float((Double($0) + Double($1)) / 2) }
            #expect(p.scalars == expected)
        }
        #expect(!zip(parts[0], parts[1]).allSatisfy { $0.scalars == $1.scalars }, "the two checkpoints differ")
        #expect(throws: TrainingError.self) { try runB.exportModel(to: averaged, source: .average(0)) }
        let records = try MetricsLog.read(runB.metricsPath)
        // Step 7 is where the first part stopped: it validated and logged there too.
        #expect(records.filter { $0.kind == "valid" }.map(\.step) == [4, 7, 8, 12])
        #expect(records.filter { $0.kind == "train" }.map(\.step) == [5, 7, 10, 12])
    }

    @Test func averageLastValidatesTheMeanThatExportWrites() throws {
        let data = temporaryDirectory("average-last")
        defer { try? FileManager.default.removeItem(atPath: data) }
        var config = try writeToyData(data)
        config.training.averageLast = 3
        let run = RunDirectory(data + "/run")
        let trainer = try TrainingSetup.makeTrainer(config: config, dataDirectory: data, run: run, resume: false) { _ in }
        try trainer.run(until: 7)
        #expect(try MetricsLog.read(run.metricsPath).allSatisfy { $0.kind != "valid_average" }, "paused at 7, not ended")
        try trainer.run()
        let records = try MetricsLog.read(run.metricsPath)
        let average = try #require(records.last { $0.kind == "valid_average" })
        #expect(average.step == 12 && average.values["checkpoints"] == 3)
        // The same number from the model `export --average 3` writes, validated by the trainer.
        let used = try run.exportModel(to: URL(fileURLWithPath: data + "/averaged"), source: .average(3))
        #expect(used.map(\.lastPathComponent) == ["step-00000008", "step-00000009", "step-00000012"])
        let mean = try TrainableModel(config: trainer.config.model, seed: 0)
        try run.averageCheckpoints(used, into: mean)
        #expect(try trainer.validate(mean)?.loss == average.values["loss"])
        #expect(average.values["loss"] != records.last { $0.kind == "valid" }?.values["loss"], "the mean is another model")

        var wrong = config
        wrong.training.averageLast = 1
        #expect(throws: TrainingError.self) { try wrong.validate() }
        wrong.training.averageLast = config.training.keepLast + 1
        #expect(throws: TrainingError.self) { try wrong.validate() }
    }
}
