// `transformer bench train`: one encoder-decoder training step (forward, backward, Adam) on a
// fixed synthetic batch; prints {"preset","precision","threads","tokens_per_s","step_ms","peak_rss_mb"}.
// `--precision bf16` runs the step's matrix products in mixed precision (training.precision).
// Row i of the batch has length L − (i mod (L/2 + 1)) on both sides (L = 32), the rest padding;
// the decoder input is the target shifted right behind <bos>; tokens/s counts non-pad targets.
// scripts/bench_torch_train.py measures torch.nn.Transformer on the same shapes.
import ArgumentParser
import Foundation
import Models
import Training

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Training-step throughput of an encoder-decoder.")

    @Option(help: "tiny (d 128, 2+2, vocab 8000, batch 64), small (d 256, 3+3, vocab 10000, batch 64) or base (d 512, 6+6, vocab 32000, batch 32).")
    var preset = "tiny"

    @Option(help: "Threads (default: TRANSFORMER_THREADS or all cores).")
    var threads: Int?

    @Option(help: "Measured steps (after one warm-up step); the median is reported.")
    var steps = 5

    @Option(help: "Matrix products: f32, or bf16 (bfloat16 operands, float32 sums).")
    var precision: MatmulPrecision = .f32

    static let length = 32

    func validate() throws {
        guard ["tiny", "small", "base"].contains(preset) else { throw ValidationError("--preset must be tiny, small or base") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// The benchmark's model: the preset's shape, one embedding for source and target, untied output.
    static func config(_ preset: String) throws -> (TransformerConfig, batch: Int) {
        var c = try TransformerConfig.preset(preset == "base" ? "paper-base" : preset)
        let (vocab, batch) = preset == "tiny" ? (8000, 64) : preset == "small" ? (10_000, 64) : (32_000, 32)
        c.srcVocab = vocab
        c.tgtVocab = vocab
        c.shareEmbeddings = true
        c.tieOutput = false
        c.dropout = 0.1
        c.labelSmoothing = 0.1
        return (c, batch)
    }

    /// The fixed synthetic batch (token ids from a seeded generator, never special ids).
    static func batch(rows: Int, vocab: Int, config c: TransformerConfig) -> TrainingBatch {
        var g = RandomGenerator(seed: 1234)
        let examples = (0..<rows).map { i -> Example in
            let n = length - i % (length / 2 + 1)
            // Collation adds <eos> to the source and <bos>/<eos> to the target: n − 1 tokens of text each.
            let source = (0..<(n - 1)).map { _ in Int32(4 + g.nextInt(below: vocab - 4)) }
            let target = (0..<(n - 1)).map { _ in Int32(4 + g.nextInt(below: vocab - 4)) }
            return Example(source: source, target: target)
        }
        return TrainingBatch.collate(examples, padId: Int32(c.padId ?? 0), bosId: Int32(c.bosId), eosId: Int32(c.eosId))
    }

    static func peakRSSMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }

    func run() throws {
        if let threads { ThreadPool.shared.threadCount = threads }
        let (config, rows) = try BenchTrain.config(preset)
        let model = try EncoderDecoderModel(config: config, seed: 1)
        model.train(true)
        let adam = Adam(parameters: model.namedParameters(), beta1: 0.9, beta2: 0.98, epsilon: 1e-9)
        let batch = BenchTrain.batch(rows: rows, vocab: config.tgtVocab, config: config)
        guard let source = batch.source else { throw ValidationError("internal: the synthetic batch has no source") }
        var times: [Double] = []
        for step in 0...steps {
            let start = DispatchTime.now().uptimeNanoseconds
            MatmulPrecision.with(precision) {
                let out = model.targetLogits(source: source, targetIn: batch.targetIn, targets: batch.targetOut)
                let loss = model.loss(logits: out.logits, targets: out.targets)
                loss.backward()
            }
            adam.update(learningRate: 1e-4)
            model.zeroGrad()
            if step > 0 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
        }
        let ms = times.sorted()[times.count / 2]
        print("{\"preset\":\"\(preset)\",\"precision\":\"\(precision.rawValue)\",\"threads\":\(ThreadPool.shared.threadCount),"
              + "\"tokens_per_s\":\(Int((Double(batch.targetTokens) / (ms / 1000)).rounded())),"
              + String(format: "\"step_ms\":%.1f,\"peak_rss_mb\":%.0f}", ms, BenchTrain.peakRSSMegabytes()))
    }
}
