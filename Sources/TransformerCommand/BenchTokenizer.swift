import ArgumentParser
import Foundation
import Tokenization

struct BenchTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "BPE training time and batch encoding throughput (compare: scripts/bench_hf_tokenizer.py).",
        discussion: """
            With --tokenizer, times only encoding with that tokenizer: a tokenizer.json, a SentencePiece \
            .model/.spm file, or a model directory as the Hugging Face hub has it (Marian included). \
            Peers: scripts/bench_hf_tokenizer.py, scripts/bench_spm_tokenizer.py.
            """)

    @Option(parsing: .upToNextOption, help: "Training and encoding text (default: ../shared/data/multi30k/train.de and train.en from the repository).")
    var files: [String] = []

    @Option(help: "Vocabulary size to train.")
    var vocabSize: Int = 8000

    @Option(help: "Threads for training and encoding.")
    var threads: Int = 2

    @Option(help: "Pre-tokenization: metaspace or gpt2.")
    var pretokenizer: PreTokenization = .metaspace

    @Option(help: "Timed repetitions; the median is reported.")
    var repeats: Int = 5

    @Option(help: "Encode with this tokenizer instead of training one (tokenizer.json, .model/.spm, Marian directory).")
    var tokenizer: String?

    func validate() throws {
        if vocabSize < 260 || threads < 1 || repeats < 1 { throw ValidationError("need --vocab-size ≥ 260, --threads ≥ 1, --repeats ≥ 1") }
    }

    /// The default corpus, looked up from the working directory and from the executable's repository.
    static func defaultFiles() throws -> [String] {
        let names = ["train.de", "train.en"]
        var roots = [FileManager.default.currentDirectoryPath]
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        roots.append(exe.deletingLastPathComponent().appendingPathComponent("../../..").standardized.path)
        var tried: [String] = []
        for root in roots {
            let dir = URL(fileURLWithPath: root).appendingPathComponent("../shared/data/multi30k").standardized.path
            tried.append(dir)
            let paths = names.map { dir + "/" + $0 }
            if paths.allSatisfy(FileManager.default.fileExists) { return paths }
        }
        throw ValidationError("default corpus not found (looked for train.de and train.en in \(tried.joined(separator: ", "))); pass --files")
    }

    func run() throws {
        let paths = files.isEmpty ? try BenchTokenizer.defaultFiles() : files
        let options = TrainingOptions(preTokenization: pretokenizer, threads: threads)
        var trainTimes: [Double] = []
        var trained: Tokenizer?
        if let path = self.tokenizer {
            trained = try Tokenizer.load(fileOrDirectory: path)
        } else {
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                trained = try Tokenizer.train(files: paths, vocabSize: vocabSize, options: options)
                trainTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
        }
        guard let tokenizer = trained else { return }
        let lines = try BenchTokenizer.lines(paths)
        let (encode, tokens) = measureEncoding(tokenizer, lines)
        let train = trainTimes.isEmpty ? "null" : String(format: "%.4f", median(trainTimes))
        let pipeline = self.tokenizer.map { "\(tokenizer.modelType) \(URL(fileURLWithPath: $0).lastPathComponent)" } ?? pretokenizer.rawValue
        let json = String(format: """
            {"case":"tokenizer","impl":"swift","pretokenizer":"%@","threads":%d,"vocab_size":%d,"sentences":%d,"tokens":%d,\
            "train_s":%@,"encode_s":%.4f,"sentences_per_s":%.0f,"tokens_per_s":%.0f}
            """, pipeline, threads, tokenizer.vocabSize, lines.count, tokens, train, encode,
            Double(lines.count) / encode, Double(tokens) / encode)
        print(json)
    }

    /// The lines of all files, as text.
    static func lines(_ paths: [String]) throws -> [String] {
        var lines: [String] = []
        for path in paths {
            let bytes = try FileIO.read(path)
            try FileIO.validateUTF8(bytes, path: path)
            lines += FileIO.lineRanges(bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
        }
        return lines
    }

    /// The median time of `encodeBatch` over `lines`, and the number of tokens it gives.
    private func measureEncoding(_ tokenizer: Tokenizer, _ lines: [String]) -> (seconds: Double, tokens: Int) {
        var times: [Double] = []
        var tokens = 0
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            let ids = tokenizer.encodeBatch(lines, threads: threads)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            tokens = ids.reduce(0) { $0 + $1.count }
        }
        return (median(times), tokens)
    }

    private func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
}
