// Shared helpers: a toy reversal task as token ids, tiny configs and temporary directories.
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
