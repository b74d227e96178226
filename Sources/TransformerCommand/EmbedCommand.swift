// `transformer embed`: sentence embeddings from an encoder-only model (a BERT directory, or a
// sentence-transformers one), one JSON array per input line, in input order.
import ArgumentParser
import Foundation
import Generation
import Models

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed lines of text with an encoder-only model, one JSON array per line.",
        discussion: """
            MODEL is an encoder-only directory: a Hugging Face BERT one, or a sentence-transformers one \
            (modules.json with Transformer, Pooling and Normalize modules), whose files give the defaults: the \
            pooling of 1_Pooling/config.json, normalisation when a Normalize module is listed, and its \
            max_seq_length. Without them: mean pooling, not normalised. Each line is encoded with the \
            tokenizer's special tokens ([CLS] … [SEP]); an empty line is embedded too.
            Example:
              printf 'Zwei Hunde spielen im Schnee.\\nEin Mann liest.\\n' | transformer embed --model all-MiniLM-L6-v2
            """)

    @Option(help: "Model directory (encoder-only: BERT, or a sentence-transformers directory).")
    var model: String

    @Option(help: "Input file, one text per line (default: stdin).")
    var input: String?

    @Option(help: "Output file, one JSON array per line (default: stdout).")
    var output: String?

    @Option(help: "Pooling: mean (over the tokens) or cls (the first token) (default: the model's, else mean).")
    var pooling: SentencePooling?

    @Flag(inversion: .prefixedNo, help: "Scale each embedding to unit length (default: as the model's modules.json says, else no).")
    var normalize: Bool?

    @Option(help: "Lines embedded together.")
    var batchSize = 32

    @Option(help: "Longest input in tokens (with [CLS] and [SEP]); longer lines are cut, with a warning naming the line.")
    var maxInputLength = InputLengthLimit.defaultTokens

    @Option(help: "Threads (default: TRANSFORMER_THREADS or the core count).")
    var threads: Int?

    @Option(help: InferencePrecision.help)
    var precision: InferencePrecision?

    func validate() throws {
        guard maxInputLength >= 2 && maxInputLength <= 1_000_000 else { throw ValidationError("--max-input-length must be in 2...1000000") }
        guard batchSize >= 1 && batchSize <= 65536 else { throw ValidationError("--batch-size must be in 1...65536") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
    }

    func run() throws {
        if let threads { ThreadPool.shared.threadCount = threads }
        let loaded = try loadBundle(model, precision: precision)
        _ = try loaded.encoderOnly(for: "embed")
        var settings = try loaded.embeddingDefaults()
        if let pooling { settings.pooling = pooling }
        if let normalize { settings.normalize = normalize }
        let lines = try readTextLines(input)
        let limit = InputLengthLimit(maxTokens: maxInputLength)
        var out = try OutputStream(path: output)
        // Chunks keep memory bounded on long inputs while leaving room to batch by length.
        let chunk = max(batchSize * 16, 256)
        var start = 0
        while start < lines.count {
            let part = Array(lines[start..<min(lines.count, start + chunk)])
            let vectors = try loaded.embed(part, settings: settings, limit: limit, batchSize: batchSize) { i, count, kept in
                warnTruncated("\(input ?? "<stdin>"):\(start + i + 1)", count, kept,
                              because: kept < limit.maxTokens ? "the model's max_seq_length" : "--max-input-length")
            }
            for v in vectors { out.write("[" + v.map { "\($0)" }.joined(separator: ",") + "]\n") }
            start += part.count
        }
        try out.close()
    }
}

extension SentencePooling: ExpressibleByArgument {}
