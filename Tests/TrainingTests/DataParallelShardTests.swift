// Data-parallel shards inside a step (`training.shards`): a sharded step computes the update of the
// whole batch (up to float rounding), gives the same bits on one and two threads, draws its dropout
// masks so that a resumed run continues exactly, and the option is validated.
import Foundation
import Testing
import Training

@Suite(.serialized) struct DataParallelShardTests {
    @Test func shardsSplitRowsAndDropThePaddingTheyDoNotUse() {
        let examples = [Example(source: [4, 5], target: [6]), Example(source: [4, 5, 6, 7, 8], target: [9, 10, 11, 12]),
                        Example(source: [4], target: [5, 6])]
        let batch = TrainingBatch.collate(examples, padId: 0, bosId: 1, eosId: 2)
        let parts = batch.shards(2, targetIn: batch.targetIn, padId: 0)
        #expect(parts.map { $0.targetOut.shape } == [[1, 2], [2, 5]])
        #expect(parts.map { $0.source?.shape ?? [] } == [[1, 3], [2, 6]])
        #expect(parts[0].targetIn.intScalars == [1, 6] && parts[0].targetOut.intScalars == [6, 2])
        #expect(parts[1].source?.intScalars == [4, 5, 6, 7, 8, 2, 4, 2, 0, 0, 0, 0])
        #expect(parts.map(\.targetTokens).reduce(0, +) == batch.targetTokens)
        #expect(batch.shards(8, targetIn: batch.targetIn, padId: 0).count == 3, "never more shards than rows")
    }

    @Test func shardedStepMatchesTheWholeBatch() throws {
        var config = toyConfig()
        config.model.dropout = 0
        let corpus = toyCorpus(count: 9, seed: 4)
        let batch = TrainingBatch.collate(corpus.examples, padId: 0, bosId: 1, eosId: 2)
        var results: [StepResult] = []
        for shards in [1, 3] {
            config.training.shards = shards
            let trainer = try Trainer(config: config, train: corpus, valid: nil, tokenizer: nil, run: nil)
            results.append(trainer.step([batch]))
        }
        let (whole, sharded) = (results[0], results[1])
        #expect(abs(whole.loss - sharded.loss) < 1e-5 * whole.loss && whole.targetTokens == sharded.targetTokens)
        #expect(abs(whole.gradientNorm - sharded.gradientNorm) < 1e-4 * whole.gradientNorm)
    }

    @Test func shardedLanguageModelStepMatchesTheWholeBatch() throws {
        var config = toyConfig()
        config.task = .languageModel
        config.model.family = .decoderOnly
        config.model.encoderLayers = 0
        config.model.dropout = 0
        config.data.blockSize = 16
        config.training.maxTokens = 16 * 6
        var g = RandomGenerator(seed: 3)
        let windows = try WindowSampler(stream: (0..<500).map { _ in Int32(4 + g.nextInt(below: 20)) }, blockSize: 16, windows: 6, seed: 1)
        var losses: [Double] = [], norms: [Double] = []
        for shards in [1, 2] {
            config.training.shards = shards
            let trainer = try Trainer(config: config, train: Corpus(examples: [], skipped: 0), valid: nil, tokenizer: nil,
                                      run: nil, windows: windows)
            let r = trainer.step([windows.batch(0, padId: 0)])
            losses.append(r.loss)
            norms.append(r.gradientNorm)
        }
        #expect(abs(losses[0] - losses[1]) < 1e-5 * losses[0] && abs(norms[0] - norms[1]) < 1e-4 * norms[0], "\(losses) \(norms)")
    }

    /// With dropout, so each shard's own random stream is exercised.
    @Test func shardsGiveTheSameBitsOnOneAndTwoThreads() throws {
        var config = toyConfig(steps: 4)
        config.model.dModel = 128
        config.model.heads = 4
        config.model.ff = 512
        config.model.dropout = 0.1
        config.training.maxTokens = 1200
        config.training.shards = 2
        let corpus = toyCorpus(count: 300, seed: 2)
        let one = try trainingLosses(config, corpus: corpus, threads: 1), two = try trainingLosses(config, corpus: corpus, threads: 2)
        #expect(one.count == 4 && one.map(\.bitPattern) == two.map(\.bitPattern), "\(one) vs \(two)")
    }

    /// Dropout, scheduled sampling and accumulation together (the toy data's config), three shards.
    @Test func shardedRunResumesBitForBit() throws {
        let data = temporaryDirectory("resume-shards")
        defer { try? FileManager.default.removeItem(atPath: data) }
        var config = try writeToyData(data)
        config.training.maxSteps = 6
        config.training.shards = 3
        let (straight, resumed, _, b) = try straightAndResumed(config, data: data, stop: 4)
        #expect(b.config.training.shards == 3)
        #expect(straight.count == 6 && straight.map(\.bitPattern) == resumed.map(\.bitPattern), "\(straight) vs \(resumed)")
    }

    @Test func shardsAreValidated() throws {
        var config = toyConfig()
        config.training.shards = 0
        #expect(throws: (any Error).self) { try config.validate() }
        config.training.shards = 2
        try config.validate()
        config.model.norm = .batchNorm
        #expect(throws: (any Error).self) { try config.validate() }
    }
}
