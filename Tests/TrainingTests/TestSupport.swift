// Shared helpers: a toy reversal task as token ids, tiny configs, a toy corpus on disk and temporary directories.
import Foundation
import Training

/// A copy-and-reverse task over ids 4..<24: generated, so tests need no data files.
func toyCorpus(count: Int, seed: UInt64) -> Corpus {
    var g = RandomGenerator(seed: seed)
    let examples = (0..<count).map { _ -> Example in
        let n = 3 + g.nextInt(below: 6)
        let source = (0..<n).map { _ in Int32(4 + g.nextInt(below: 20)) }
        return Example(source: source, target: source.reversed())
    }
    return Corpus(examples: examples, skipped: 0)
}

func toyConfig(steps: Int = 20) -> TrainingConfig {
    var c = TrainingConfig()
    c.model.dModel = 32
    c.model.heads = 2
    c.model.encoderLayers = 1
    c.model.decoderLayers = 1
    c.model.ff = 64
    c.model.srcVocab = 24
    c.model.tgtVocab = 24
    c.model.maxLen = 64
    c.model.shareEmbeddings = true
    c.data.trainSource = "unused"
    c.data.trainTarget = "unused"
    c.data.maxSourceLength = 32
    c.data.maxTargetLength = 32
    c.schedule.kind = "constant"
    c.schedule.peakLR = 3e-3
    c.schedule.warmup = 1
    c.training.maxSteps = steps
    c.training.maxTokens = 160
    c.training.seed = 7
    c.training.logEvery = 5
    c.training.validateEvery = 5
    c.training.checkpointEvery = 5
    return c
}

func temporaryDirectory(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "training-tests-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes a tiny parallel corpus and a config using it; returns the config.
func writeToyData(_ dir: String) throws -> TrainingConfig {
    var g = RandomGenerator(seed: 11)
    let words = ["ein", "hund", "katze", "läuft", "schnell", "der", "die", "mann", "frau", "spielt", "im", "park"]
    let english = ["a", "dog", "cat", "runs", "fast", "the", "the", "man", "woman", "plays", "in", "park"]
    var de: [String] = [], en: [String] = []
    for _ in 0..<80 {
        let n = 2 + g.nextInt(below: 5)
        let picks = (0..<n).map { _ in g.nextInt(below: words.count) }
        de.append(picks.map { words[$0] }.joined(separator: " "))
        en.append(picks.map { english[$0] }.joined(separator: " "))
    }
    try (de.prefix(64).joined(separator: "\n") + "\n").write(toFile: dir + "/train.de", atomically: true, encoding: .utf8)
    try (en.prefix(64).joined(separator: "\n") + "\n").write(toFile: dir + "/train.en", atomically: true, encoding: .utf8)
    try (de.suffix(16).joined(separator: "\n") + "\n").write(toFile: dir + "/val.de", atomically: true, encoding: .utf8)
    try (en.suffix(16).joined(separator: "\n") + "\n").write(toFile: dir + "/val.en", atomically: true, encoding: .utf8)
    var config = toyConfig(steps: 12)
    config.data.trainSource = "train.de"
    config.data.trainTarget = "train.en"
    config.data.validSource = "val.de"
    config.data.validTarget = "val.en"
    config.tokenizer.vocabSize = 300
    config.optimizer.accumulate = 2
    config.scheduledSampling.enabled = true
    config.scheduledSampling.maxProbability = 0.3
    config.scheduledSampling.rampSteps = 6
    config.training.validateEvery = 4
    config.training.checkpointEvery = 3
    return config
}

/// The loss of every step of a fresh run of `config` on `corpus`, on `threads` threads.
func trainingLosses(_ config: TrainingConfig, corpus: Corpus, threads: Int = 1) throws -> [Double] {
    let saved = ThreadPool.shared.threadCount
    ThreadPool.shared.threadCount = threads
    defer { ThreadPool.shared.threadCount = saved }
    let trainer = try Trainer(config: config, train: corpus, valid: nil, tokenizer: nil, run: nil)
    var losses: [Double] = []
    trainer.onStep = { losses.append($0.loss) }
    try trainer.run()
    return losses
}

/// `config` (on the toy data in `data`) trained straight through in run-a, and in run-b stopped
/// after `stop` steps and resumed as `train --out run-b --resume` does (config from the run's
/// training.json): both runs' step losses and their trainers.
func straightAndResumed(_ config: TrainingConfig, data: String, stop: Int)
    throws -> (straight: [Double], resumed: [Double], a: Trainer, b: Trainer) {
    var straight: [Double] = [], resumed: [Double] = []
    let a = try TrainingSetup.makeTrainer(config: config, dataDirectory: data, run: RunDirectory(data + "/run-a"), resume: false) { _ in }
    a.onStep = { straight.append($0.loss) }
    try a.run()
    let runB = RunDirectory(data + "/run-b")
    let b1 = try TrainingSetup.makeTrainer(config: config, dataDirectory: data, run: runB, resume: false) { _ in }
    b1.onStep = { resumed.append($0.loss) }
    try b1.run(until: stop)
    let b2 = try TrainingSetup.makeTrainer(config: runB.trainingConfig(), dataDirectory: data, run: runB, resume: true) { _ in }
    b2.onStep = { resumed.append($0.loss) }
    try b2.run()
    return (straight, resumed, a, b2)
}
