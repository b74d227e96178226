// `transformer bench lm`: language-model training steps as `transformer train` takes them on
// nanoGPT's shapes (character-level vocabulary of 65 + 4 specials, windows at random offsets of
// a seeded synthetic stream; forward, backward, clipping at 1, AdamW with weight decay 0.1);
// prints {"preset","precision","threads","chars_per_s","step_ms","peak_rss_mb"}: the median step after
// warm-up. `--precision bf16` runs the matrix products in mixed precision (training.precision).
//   cpu:     nanoGPT README's CPU run: 4 layers, d 128, 4 heads, block 64, batch 12, no dropout
//   default: nanoGPT's train_shakespeare_char: 6 layers, d 384, 6 heads, block 256, batch 64, dropout 0.2
// Both: Pre-LN, learned positions, GELU, no biases, tied output, GPT-2 initialization; each batch
// split into 2 data-parallel shards as configs/shakespeare-char.json does (`--shards`).
import ArgumentParser
import Foundation
import Models
import Training

struct BenchLanguageModel: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lm", abstract: "Training-step throughput of a character-level language model.")

    @Option(help: "cpu (nanoGPT's CPU run: 4 layers, d 128, block 64, batch 12) or default (6 layers, d 384, block 256, batch 64).")
    var preset = "cpu"

    @Option(help: "Threads (default: TRANSFORMER_THREADS or all cores).")
    var threads: Int?

    @Option(help: "Data-parallel shards per batch (training.shards): rows split into groups that run whole on one thread each.")
    var shards = 2

    @Option(help: "Measured steps (after five warm-up steps); the median is reported.")
    var steps = 50

    @Option(help: "Matrix products: f32, or bf16 (bfloat16 operands, float32 sums).")
    var precision: MatmulPrecision = .f32

    func validate() throws {
        guard ["cpu", "default"].contains(preset) else { throw ValidationError("--preset must be cpu or default") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard (1...64).contains(shards) else { throw ValidationError("--shards must be in 1...64") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// The training config of a preset (the model with the vocabulary and ids of a character tokenizer).
    static func config(_ preset: String) -> TrainingConfig {
        let (layers, d, heads, block, batch, dropout): (Int, Int, Int, Int, Int, Float) =
            preset == "cpu" ? (4, 128, 4, 64, 12, 0) : (6, 384, 6, 256, 64, 0.2)
        var c = TrainingConfig()
        c.task = .languageModel
        c.model.family = .decoderOnly
        (c.model.decoderLayers, c.model.encoderLayers, c.model.dModel, c.model.heads, c.model.ff) = (layers, 0, d, heads, 4 * d)
        (c.model.srcVocab, c.model.tgtVocab, c.model.maxLen) = (69, 69, block)
        c.model.normFirst = true
        c.model.activation = .gelu
        c.model.positional = .learned
        c.model.bias = false
        c.model.scaleEmbedding = false
        c.model.tieOutput = true
        c.model.dropout = dropout
        c.model.labelSmoothing = 0
        c.model.initialization = .gpt2
        c.data.trainText = "synthetic"
        c.data.blockSize = block
        c.optimizer.beta1 = 0.9
        c.optimizer.beta2 = 0.99
        c.optimizer.epsilon = 1e-8
        c.optimizer.weightDecay = 0.1
        c.optimizer.clipNorm = 1
        c.schedule.kind = "constant"
        c.schedule.peakLR = 1e-3
        c.schedule.warmup = 0
        c.training.maxTokens = block * batch
        return c
    }

    func run() throws {
        if let threads { ThreadPool.shared.threadCount = threads }
        var config = BenchLanguageModel.config(preset)
        config.training.shards = shards
        config.training.precision = precision
        var g = RandomGenerator(seed: 1234)
        let stream = (0..<200_000).map { _ in Int32(4 + g.nextInt(below: 65)) }
        let block = config.data.blockSize
        let windows = try WindowSampler(stream: stream, blockSize: block, windows: config.training.maxTokens / block, seed: 1)
        let trainer = try Trainer(config: config, train: Corpus(examples: [], skipped: 0), valid: nil, tokenizer: nil, run: nil, windows: windows)
        var times: [Double] = []
        for step in 0..<(steps + 5) {
            let start = DispatchTime.now().uptimeNanoseconds
            trainer.step([windows.batch(step, padId: 0)])
            if step >= 5 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
        }
        let ms = times.sorted()[times.count / 2]
        print("{\"preset\":\"\(preset)\",\"precision\":\"\(precision.rawValue)\",\"threads\":\(ThreadPool.shared.threadCount),\"shards\":\(shards),"
              + "\"chars_per_s\":\(Int((Double(config.training.maxTokens) / (ms / 1000)).rounded())),"
              + String(format: "\"step_ms\":%.2f,\"peak_rss_mb\":%.0f}", ms, BenchTrain.peakRSSMegabytes()))
    }
}
