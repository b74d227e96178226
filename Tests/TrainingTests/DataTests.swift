// Batching and data: the token bound, every example once per epoch, determinism by seed,
// skip counts, collation (shift right behind <bos>), and aligned-file errors.
import Foundation
import Testing
import Training

@Suite struct DataTests {
    let lengths: [(source: Int, target: Int)] = {
        var g = RandomGenerator(seed: 3)
        return (0..<500).map { _ in (1 + g.nextInt(below: 40), 1 + g.nextInt(below: 40)) }
    }()

    @Test func batchesRespectTheTokenBoundAndUseEveryExampleOnce() {
        let batcher = TokenBatcher(lengths: lengths, maxTokens: 200, seed: 1)
        for epoch in 0..<3 {
            let batches = batcher.batches(epoch: epoch)
            for b in batches {
                let s = b.map { lengths[$0].source }.max()!, t = b.map { lengths[$0].target }.max()!
                #expect(b.count * s <= 200 && b.count * t <= 200)
            }
            #expect(batches.flatMap { $0 }.sorted() == Array(0..<500))
        }
    }

    @Test func orderIsAFunctionOfSeedAndEpoch() {
        let a = TokenBatcher(lengths: lengths, maxTokens: 200, seed: 1)
        let b = TokenBatcher(lengths: lengths, maxTokens: 200, seed: 1)
        #expect(a.batches(epoch: 2) == b.batches(epoch: 2))
        #expect(a.batches(epoch: 0) != a.batches(epoch: 1))
        #expect(a.batches(epoch: 0) != TokenBatcher(lengths: lengths, maxTokens: 200, seed: 2).batches(epoch: 0))
    }

    @Test func bucketingKeepsPaddingLow() {
        let batches = TokenBatcher(lengths: lengths, maxTokens: 400, seed: 1).batches(epoch: 0)
        var real = 0, padded = 0
        for b in batches {
            real += b.reduce(0) { $0 + lengths[$1].target }
            padded += b.count * b.map { lengths[$0].target }.max()!
        }
        #expect(Double(real) / Double(padded) > 0.9)
    }

    @Test func tooLongExamplesAreCountedAndLeftOut() {
        let batcher = TokenBatcher(lengths: [(5, 5), (50, 3), (4, 60), (6, 6)], maxTokens: 40, seed: 0)
        #expect(batcher.skipped == 2)
        #expect(batcher.batches(epoch: 0).flatMap { $0 }.sorted() == [0, 3])
    }

    @Test func collateShiftsTheTargetRightBehindBos() {
        let batch = TrainingBatch.collate([Example(source: [7, 8], target: [9, 10, 11]), Example(source: [5], target: [6])],
                                          padId: 0, bosId: 1, eosId: 2)
        #expect(batch.source?.shape == [2, 3])
        #expect(batch.source?.intScalars == [7, 8, 2, 5, 2, 0])
        #expect(batch.targetIn.intScalars == [1, 9, 10, 11, 1, 6, 0, 0])
        #expect(batch.targetOut.intScalars == [9, 10, 11, 2, 6, 2, 0, 0])
        #expect(batch.targetTokens == 6)
        let lm = TrainingBatch.collate([Example(source: [], target: [4, 5, 6, 7])], padId: 0, bosId: 1, eosId: 2)
        #expect(lm.source == nil && lm.targetIn.intScalars == [4, 5, 6] && lm.targetOut.intScalars == [5, 6, 7])
    }

    @Test func alignedFilesAreStrippedAndMismatchesNameBothFiles() throws {
        let dir = temporaryDirectory("data")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "  ein Hund \nzwei\n".write(toFile: dir + "/a.de", atomically: true, encoding: .utf8)
        try "a dog\t\ntwo\n".write(toFile: dir + "/a.en", atomically: true, encoding: .utf8)
        try "one\ntwo\nthree\n".write(toFile: dir + "/b.en", atomically: true, encoding: .utf8)
        let pairs = try ParallelCorpus.pairs(source: dir + "/a.de", target: dir + "/a.en")
        #expect(pairs.map(\.0) == ["ein Hund", "zwei"] && pairs.map(\.1) == ["a dog", "two"])
        #expect(throws: TrainingError.self) { try ParallelCorpus.pairs(source: dir + "/a.de", target: dir + "/b.en") }
        do { _ = try ParallelCorpus.pairs(source: dir + "/a.de", target: dir + "/b.en") } catch {
            #expect("\(error)".contains("a.de") && "\(error)".contains("b.en"))
        }
        #expect(throws: TrainingError.self) { try ParallelCorpus.lines(of: dir + "/missing.txt") }
    }

    @Test func configErrorsNameTheKey() throws {
        let bad = #"{"task": "translation", "model_preset": "tiny", "data": {"train_source": "a", "train_target": "b"}, "optimizer": {"beta2": 1.5}}"#
        #expect(throws: TrainingError.self) { try TrainingConfig.parse(Data(bad.utf8), file: "x.json") }
        do { _ = try TrainingConfig.parse(Data(bad.utf8), file: "x.json") } catch {
            #expect("\(error)".contains("x.json") && "\(error)".contains("optimizer.beta2"))
        }
        let typo = #"{"task": "translation", "data": {"train_source": "a", "train_target": "b"}, "training": {"max_step": 5}}"#
        do { _ = try TrainingConfig.parse(Data(typo.utf8), file: "y.json"); Issue.record("accepted an unknown key") } catch {
            #expect("\(error)".contains("training.max_step"))
        }
        let good = #"{"task": "language-model", "model_preset": "tiny", "model": {"dropout": 0.2}, "data": {"train_text": "t.txt"}}"#
        let config = try TrainingConfig.parse(Data(good.utf8), file: "z.json")
        #expect(config.model.dModel == 128 && config.model.dropout == 0.2 && config.model.family == .decoderOnly)
        #expect(config.training.precision == .f32)
    }

    @Test func precisionIsF32OrBF16AndSurvivesTheSavedConfig() throws {
        let bf16 = #"{"task": "language-model", "model_preset": "tiny", "data": {"train_text": "t.txt"}, "training": {"precision": "bf16"}}"#
        let config = try TrainingConfig.parse(Data(bf16.utf8), file: "p.json")
        #expect(config.training.precision == .bf16)
        // A run saves its config (training.json) and --resume reads it back.
        let saved = try TrainingConfig.parse(config.jsonData(), file: "training.json")
        #expect(saved == config)
        let fp16 = #"{"task": "language-model", "model_preset": "tiny", "data": {"train_text": "t.txt"}, "training": {"precision": "fp16"}}"#
        do { _ = try TrainingConfig.parse(Data(fp16.utf8), file: "q.json"); Issue.record("accepted precision fp16") } catch {
            #expect("\(error)".contains("q.json") && "\(error)".contains("training.precision") && "\(error)".contains("f32 or bf16"))
        }
    }
}
