// `transformer translate`: translates lines of text with an encoder-decoder model directory,
// batched, writing one line per input line in input order (the paper's §6.1 decoding).
import ArgumentParser
import Evaluation
import Foundation
import Generation
import Models

struct TranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Translate lines of text (stdin by default) with an encoder-decoder model.",
        discussion: """
            MODEL is one of our model directories (config.json, weights.safetensors, tokenizer.json) or a Hugging \
            Face Marian one (opus-mt: config.json, model.safetensors or pytorch_model.bin, source.spm, target.spm, \
            vocab.json, generation_config.json). Each input line gives one output line, in order; empty lines stay \
            empty. Sentences are batched by length and decoded with beam search (--beam 1: greedy) until <eos> or \
            --max-length-a·|source| + --max-length-b tokens; a Hugging Face model's generation_config.json gives the \
            defaults of the flags left out (num_beams, length_penalty, max_length).
            With --n-best N, each input line gives N lines "INDEX ||| TRANSLATION ||| SCORE" instead.
            Typed at a terminal, each line is translated as soon as it is entered.
            Example:
              echo "Zwei Hunde spielen im Schnee." | transformer translate
            """)

    @Option(help: "Model directory (default: the bundled German→English model, \(BundledModel.relativePath)).")
    var model: String?

    @OptionGroup var search: SearchOptions

    @Option(help: "Hypotheses per input line (at most the beam size).")
    var nBest = 1

    @Option(help: "Input file (default: stdin).")
    var input: String?

    @Option(help: "Output file (default: stdout).")
    var output: String?

    @Option(help: InferencePrecision.help)
    var precision: InferencePrecision?

    func validate() throws {
        guard nBest >= 1 else { throw ValidationError("--n-best must be at least 1") }
    }

    func run() throws {
        let loaded = try loadBundle(model ?? BundledModel.locate(), precision: precision)
        let model = try loaded.encoderDecoder(for: "translate")
        let translator = Translator(model: model, options: try search.translationOptions(defaults: loaded.translationDefaults, nBest: nBest, model: model))
        var out = try OutputStream(path: output)
        if input == nil && isatty(0) != 0 {
            var index = 0
            while let line = readLine(strippingNewline: true) {
                try translate([line], first: index, place: "<stdin>", loaded: loaded, translator: translator, to: &out)
                index += 1
            }
            return try out.close()
        }
        let lines = try readTextLines(input)
        // Chunks keep memory bounded on long inputs while leaving room to batch by length.
        let chunk = max(search.batchSize * 16, 256)
        var start = 0
        while start < lines.count {
            let part = lines[start..<min(lines.count, start + chunk)]
            try translate(part, first: start, place: input ?? "<stdin>", loaded: loaded, translator: translator, to: &out)
            start += part.count
        }
        try out.close()
    }

    /// Translates `lines` (numbered from `first` in n-best output; line `first` + 1 of `place` in
    /// warnings) and writes their results in order.
    private func translate(_ lines: ArraySlice<String>, first: Int, place: String, loaded: ModelBundle,
                           translator: Translator, to out: inout OutputStream) throws {
        let sources = try lines.enumerated().map { k, line in try sourceIDs(line, loaded, search.inputLimit, "\(place):\(first + k + 1)") }
        let nonEmpty = sources.indices.filter { sources[$0] != nil }
        let translated = translator.translate(nonEmpty.map { sources[$0] ?? [] })
        var results = [[Hypothesis]](repeating: [], count: sources.count)
        for (i, h) in zip(nonEmpty, translated) { results[i] = h }
        for (offset, hypotheses) in results.enumerated() {
            if nBest == 1 {
                out.write((try hypotheses.first.map { try loaded.text($0.tokens) } ?? "") + "\n")
            } else {
                for h in hypotheses { out.write("\(first + offset) ||| \(try loaded.text(h.tokens)) ||| \(h.score)\n") }
            }
        }
    }
}

/// A line's source ids (nil for a blank line), with a warning naming `place` when cut to `limit`.
func sourceIDs(_ line: String, _ bundle: ModelBundle, _ limit: InputLengthLimit, _ place: String) throws -> [Int32]? {
    guard let (ids, originalCount) = try bundle.sourceIDs(line, limit: limit) else { return nil }
    if let originalCount { warnTruncated(place, originalCount, limit.maxTokens) }
    return ids
}

/// Lines of a file, or of stdin when `path` is nil, read as `score` reads them (`Segments.lines`:
/// split on newlines, trailing whitespace such as a CR dropped). Bytes that are not UTF-8 are an
/// error naming the line, rather than replaced by U+FFFD and translated anyway.
/// Every byte of the file at `path`, read as a stream so that /dev/null, a FIFO or a process
/// substitution (`--input <(…)`) work as well as a regular file.
func readAll(_ path: String) throws -> Data {
    do {
        return try FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readToEnd() ?? Data()
    } catch {
        throw DecodingCommandError("cannot read '\(path)': \(error.localizedDescription)")
    }
}

func readTextLines(_ path: String?) throws -> [String] {
    let data: Data
    if let path {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw DecodingCommandError("input file '\(path)' does not exist")
        }
        data = try readAll(path)
    } else {
        data = FileHandle.standardInput.readDataToEndOfFile()
    }
    do { return try Segments.lines(utf8: data) } catch EvaluationError.invalidUTF8(let line) {
        throw DecodingCommandError("\(path ?? "<stdin>"):\(line): not valid UTF-8")
    }
}

/// stdout, or a file written in one go at the end.
struct OutputStream {
    let path: String?
    var buffer = ""

    init(path: String?) throws {
        self.path = path
        if let path, FileManager.default.fileExists(atPath: path + "/") {
            throw DecodingCommandError("output '\(path)' is a directory")
        }
    }

    mutating func write(_ s: String) {
        if path == nil { FileHandle.standardOutput.write(Data(s.utf8)) } else { buffer += s }
    }

    func close() throws {
        guard let path else { return }
        do { try buffer.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw DecodingCommandError("cannot write '\(path)': \(error.localizedDescription)")
        }
    }
}
