// `transformer bench decode`: decoding throughput of a random-weight Transformer of the paper's
// shape (shared embedding, sinusoidal positions, untied output projection), or of any
// encoder-decoder model directory (--model): source length 32, exactly --new-tokens output tokens
// per sentence (<eos> suppressed), greedy or beam search. The output ids are hashed (FNV-1a) so
// that a peer engine decoding the same ids can show it produced the same tokens.
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
            base (512, 8, 6+6, 2048, 32000); or --model, any encoder-decoder model directory (ours or a
            Hugging Face Marian one). Sources: 32 ids each, drawn (RandomGenerator seed 2, sentence after sentence)
            from the ids 3..<vocabulary other than the pad id. Tokens/s = batch × new tokens / wall time of
            encoding and decoding (median of --runs runs after one warm-up); "cpu_ms_per_token": the process's CPU time (all threads) per
            token, median of the same runs, steadier than tokens/s on a busy machine. "output_fnv1a": FNV-1a 64 of
            the output ids, sentence after sentence, each id as 4 little-endian bytes. --precision: the weights'
            number format; "weight_bytes_per_token": the packed weights one decoding step reads (decoder and output
            layer, not the cross-attention keys and values made once per sentence) over the batch, and
            "weight_gb_per_s" that times tokens/s: the rate weights stream from memory.
            """)

    enum Preset: String, ExpressibleByArgument, CaseIterable { case tiny, small, base }

    @Option(help: "Random-weight model size: tiny, small or base.")
    var preset: Preset?

    @Option(help: "An encoder-decoder model directory to time instead of a preset.")
    var model: String?

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

    @Option(help: "Weights at inference: f32, bf16 or int8 (default: f32 for a preset, the precision a --model directory stores).")
    var precision: InferencePrecision?

    static let sourceLength = 32

    func validate() throws {
        guard (1...4096).contains(batch) else { throw ValidationError("--batch must be in 1...4096") }
        guard (1...64).contains(beam) else { throw ValidationError("--beam must be in 1...64") }
        guard (1...4096).contains(newTokens) else { throw ValidationError("--new-tokens must be in 1...4096") }
        guard (1...1000).contains(runs) else { throw ValidationError("--runs must be in 1...1000") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
        guard (preset == nil) != (model == nil) else { throw ValidationError("give exactly one of --preset and --model") }
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

    func run() throws {
        if let threads { ThreadPool.shared.threadCount = threads }
        let name: (key: String, value: String), encoderDecoder: EncoderDecoderModel, precision: InferencePrecision
        var options = TranslationOptions()
        if let preset {
            name = ("preset", preset.rawValue)
            encoderDecoder = try EncoderDecoderModel(config: Self.config(preset), seed: 1)
            precision = self.precision ?? .f32
            encoderDecoder.setInferencePrecision(precision, releasingFloatWeights: true)
        } else {
            let bundle = try ModelBundle(directory: model ?? "", tokenizer: false, precision: self.precision)
            precision = bundle.precision
            encoderDecoder = try bundle.encoderDecoder(for: "bench decode")
            name = ("model", bundle.directory.lastPathComponent)
            options = bundle.translationDefaults
            // Scores normalised over the tokens that may come (not the pad, not <eos> before the
            // minimum length), as CTranslate2 does: beam search then keeps the same hypotheses.
            options.renormalize = true
        }
        options.beamSize = beam
        options.nBest = 1
        options.batchSize = batch
        options.maxLengthA = 0
        options.maxLengthB = newTokens
        options.minLength = newTokens
        let translator = Translator(model: encoderDecoder, options: options)
        let sources = Self.sources(batch: batch, config: encoderDecoder.config)
        var output: [[Int32]] = []
        func timed() -> (rate: Double, cpuPerToken: Double) {
            let (start, cpuStart) = (DispatchTime.now().uptimeNanoseconds, Self.processCPUSeconds())
            let out = translator.translateBatch(sources)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let cpu = Self.processCPUSeconds() - cpuStart
            output = out.map { $0[0].tokens }
            precondition(output.allSatisfy { $0.count == newTokens }, "bench decode: wrong output length")
            return (Double(batch * newTokens) / seconds, cpu / Double(batch * newTokens))
        }
        _ = timed()
        let measured = (0..<runs).map { _ in timed() }
        func median(_ values: [Double]) -> Double {
            let v = values.sorted()
            return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
        }
        let rate = median(measured.map(\.rate)), cpuMilliseconds = 1000 * median(measured.map(\.cpuPerToken))
        let hash = String(Self.fnv1a(output), radix: 16)
        let bytes = encoderDecoder.decodingWeightBytesPerStep / batch
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let quotedName = String(decoding: try encoder.encode(name.value), as: UTF8.self)   // a directory's name may hold quotes
        print(#"{"\#(name.key)":\#(quotedName),"batch":\#(batch),"beam":\#(beam),"threads":\#(ThreadPool.shared.threadCount),"precision":"\#(precision.rawValue)","tokens_per_s":\#(String(format: "%.1f", rate)),"weight_bytes_per_token":\#(bytes),"weight_gb_per_s":\#(String(format: "%.2f", Double(bytes) * rate / 1e9)),"cpu_ms_per_token":\#(String(format: "%.2f", cpuMilliseconds)),"output_fnv1a":"\#(hash)"}"#)
    }

    static func sources(batch: Int, config: TransformerConfig) -> [[Int32]] {
        let pad = config.padId
        let ids = (3..<config.srcVocab).filter { $0 != pad }.map { Int32($0) }
        var g = RandomGenerator(seed: 2)
        return (0..<batch).map { _ in (0..<sourceLength).map { _ in ids[g.nextInt(below: ids.count)] } }
    }

    /// CPU time of the whole process (every thread), in seconds.
    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    static func fnv1a(_ rows: [[Int32]]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for id in rows.joined() {
            for shift in stride(from: 0, to: 32, by: 8) { h = (h ^ UInt64(UInt32(bitPattern: id) >> UInt32(shift) & 0xff)) &* 0x100_0000_01b3 }
        }
        return h
    }
}
