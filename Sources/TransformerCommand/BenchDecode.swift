// `transformer bench decode`: decoding throughput of a random-weight Transformer of the paper's
// shape (shared embedding, sinusoidal positions, untied output projection): source length 32,
// exactly --new-tokens output tokens per sentence (<eos> suppressed), greedy or beam search.
import ArgumentParser
import Dispatch
import Foundation
import Generation
import Models

struct BenchDecode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decoding tokens/s of a random-weight model; prints one JSON line.",
        discussion: """
            Presets: tiny (d=128, h=4, 2+2 layers, d_ff=512, vocab 8000), small (256, 8, 3+3, 1024, 10000),
            base (512, 8, 6+6, 2048, 32000). Tokens/s = batch × new tokens / wall time of encoding and decoding
            (median of --runs runs after one warm-up).
            """)

    enum Preset: String, ExpressibleByArgument, CaseIterable { case tiny, small, base }

    @Option(help: "Model size: tiny, small or base.")
    var preset: Preset

    @Option(help: "Sentences decoded together.")
    var batch = 1

    @Option(help: "Beam size (1: greedy).")
    var beam = 1

    @Option(help: "Output tokens per sentence.")
    var newTokens = 64

    @Option(help: "Threads (default: TRANSFORMER_THREADS or the core count).")
    var threads: Int?

    @Option(help: "Timed runs.")
    var runs = 5

    @Option(help: "Weights at inference: f32, bf16 or int8.")
    var precision: InferencePrecision = .f32

    static let sourceLength = 32

    func validate() throws {
        guard (1...4096).contains(batch) else { throw ValidationError("--batch must be in 1...4096") }
        guard (1...64).contains(beam) else { throw ValidationError("--beam must be in 1...64") }
        guard (1...4096).contains(newTokens) else { throw ValidationError("--new-tokens must be in 1...4096") }
        guard (1...1000).contains(runs) else { throw ValidationError("--runs must be in 1...1000") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
    }

    static func config(_ preset: Preset) -> TransformerConfig {
        var c = TransformerConfig()
        switch preset {
        case .tiny: (c.dModel, c.heads, c.encoderLayers, c.ff, c.srcVocab) = (128, 4, 2, 512, 8000)
        case .small: (c.dModel, c.heads, c.encoderLayers, c.ff, c.srcVocab) = (256, 8, 3, 1024, 10000)
        case .base: (c.dModel, c.heads, c.encoderLayers, c.ff, c.srcVocab) = (512, 8, 6, 2048, 32000)
        }
        c.decoderLayers = c.encoderLayers
        c.tgtVocab = c.srcVocab
        c.shareEmbeddings = true
        c.tieOutput = false
        c.positional = .sinusoidal
        return c
    }

    /// Bytes of weights one decoding step reads: every decoder linear layer but the cross-attention
    /// keys and values (computed once per sentence), and the output layer, as packed. Divided by the
    /// batch, the weight bytes behind each output token; times tokens/s, the rate they stream at.
    static func weightBytesPerStep(_ model: EncoderDecoderModel) -> Int {
        let once = Set(model.decoder.layers.flatMap { layer in
            [layer.crossAttention?.key, layer.crossAttention?.value].compactMap { $0.map(ObjectIdentifier.init) }
        })
        let linears = model.decoder.modules().compactMap { $0 as? Linear }.filter { !once.contains(ObjectIdentifier($0)) }
            + [model.generator].compactMap { $0 }
        return linears.reduce(0) { $0 + $1.packedWeight().byteCount }
    }

    func run() throws {
        if let threads { ThreadPool.shared.threadCount = threads }
        let c = Self.config(preset)
        let model = try EncoderDecoderModel(config: c, seed: 1)
        model.setInferencePrecision(precision)
        var options = TranslationOptions()
        options.beamSize = beam
        options.batchSize = batch
        options.maxLengthA = 0
        options.maxLengthB = newTokens
        options.minLength = newTokens
        let translator = Translator(model: model, options: options)
        var g = RandomGenerator(seed: 2)
        let sources = (0..<batch).map { _ in (0..<Self.sourceLength).map { _ in Int32(3 + g.nextInt(below: c.srcVocab - 3)) } }
        func timed() -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            let out = translator.translateBatch(sources)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            precondition(out.allSatisfy { $0[0].tokens.count == newTokens }, "bench decode: wrong output length")
            return Double(batch * newTokens) / seconds
        }
        _ = timed()
        let rates = (0..<runs).map { _ in timed() }.sorted()
        let median = rates.count % 2 == 1 ? rates[rates.count / 2] : (rates[rates.count / 2 - 1] + rates[rates.count / 2]) / 2
        let bytes = Self.weightBytesPerStep(model) / batch
        let rate = String(format: "%.1f", median), gbs = String(format: "%.2f", Double(bytes) * median / 1e9)
        print(#"{"preset":"\#(preset.rawValue)","batch":\#(batch),"beam":\#(beam),"threads":\#(ThreadPool.shared.threadCount),"precision":"\#(precision.rawValue)","tokens_per_s":\#(rate),"weight_bytes_per_token":\#(bytes),"weight_gb_per_s":\#(gbs)}"#)
    }
}
