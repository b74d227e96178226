import ArgumentParser
import Foundation
import Tokenization

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Tokenizers: train BPE, WordPiece or Unigram; encode, decode and inspect tokenizer.json files and hub directories.",
        subcommands: [TrainTokenizer.self, EncodeTokenizer.self, DecodeTokenizer.self, InspectTokenizer.self])
}

extension PreTokenization: ExpressibleByArgument {}

/// The subword model `tokenizer train` learns.
enum TrainedModel: String, ExpressibleByArgument, CaseIterable {
    case bpe, wordpiece, unigram
}

struct TrainTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Learn a subword vocabulary from text files (one sentence per line): BPE, WordPiece or Unigram.",
        discussion: """
            The result is deterministic for the same files and options, whatever the thread count. \
            Special tokens get the first ids. Progress goes to stderr.
            bpe: byte-level BPE; <pad>=0, <bos>=1, <eos>=2, <unk>=3 by default, then the 256 byte \
            tokens, so every input can be encoded.
            wordpiece: BERT's WordPiece (Hugging Face's WordPieceTrainer): BertNormalizer, \
            BertPreTokenizer, ## continuing pieces, [CLS] $A [SEP]; [PAD],[UNK],[CLS],[SEP],[MASK] by default.
            unigram: SentencePiece's Unigram (EM and pruning), written as Hugging Face's \
            SentencePieceUnigramTokenizer (Nmt, NFKC, Metaspace ▁); <pad>,<bos>,<eos>,<unk> by default.
            Example: transformer tokenizer train --vocab-size 8000 --output tokenizer.json train.de train.en
            """)

    @Option(help: "Subword model: bpe, wordpiece or unigram.")
    var model: TrainedModel = .bpe

    @Option(help: "Vocabulary size, special (and byte) tokens included.")
    var vocabSize: Int = 8000

    @Option(name: .shortAndLong, help: "Where to write tokenizer.json.")
    var output: String

    @Option(help: "bpe: pre-tokenization, metaspace (the default: space marks the next word, punctuation split off) or gpt2 (GPT-2's regex).")
    var pretokenizer: PreTokenization?

    @Flag(help: "bpe: apply Unicode NFKC normalization before tokenizing.")
    var nfkc = false

    @Option(help: "bpe, wordpiece: do not merge pairs seen fewer times than this.")
    var minFrequency: Int = 2

    @Option(help: """
        Special tokens in id order, comma-separated. bpe, unigram: the first four play pad, bos, eos, unk; \
        wordpiece: the first four play pad, unk, cls, sep.
        """)
    var specialTokens: String?

    @Option(help: "wordpiece: keep at most this many distinct characters (0: all).")
    var limitAlphabet: Int = 1000

    @Flag(help: "wordpiece: keep case and accents (BertNormalizer lowercase off).")
    var cased = false

    @Option(help: "unigram: share of character occurrences the kept characters must cover (SentencePiece uses 0.9995; 1 keeps all).")
    var characterCoverage: Double = 1

    @Flag(help: "unigram: add <0x00>…<0xFF> byte pieces so unknown characters encode as bytes.")
    var byteFallback = false

    @Option(help: "Threads.")
    var threads: Int = 2

    @Argument(help: "Text files, UTF-8, one sentence per line.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one text file") }
        if minFrequency < 1 { throw ValidationError("--min-frequency must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if limitAlphabet < 0 { throw ValidationError("--limit-alphabet must be 0 (no limit) or more") }
        if !(characterCoverage > 0 && characterCoverage <= 1) { throw ValidationError("--character-coverage must be in (0, 1]") }
        if specials.count < 4 { throw ValidationError("--special-tokens needs at least four tokens") }
        if model != .bpe && (pretokenizer != nil || nfkc) { throw ValidationError("--pretokenizer and --nfkc are for --model bpe") }
        if model != .wordpiece && cased { throw ValidationError("--cased is for --model wordpiece") }
        if model != .unigram && (byteFallback || characterCoverage != 1) {
            throw ValidationError("--character-coverage and --byte-fallback are for --model unigram")
        }
    }

    private var specials: [String] {
        let defaults = model == .wordpiece ? "[PAD],[UNK],[CLS],[SEP],[MASK]" : "<pad>,<bos>,<eos>,<unk>"
        return (specialTokens ?? defaults).split(separator: ",").map(String.init)
    }

    func run() throws {
        let s = specials
        let printer = ProgressPrinter()
        let progress: @Sendable (TrainingProgress) -> Void = { printer.report($0) }
        let start = Date()
        let save: () throws -> Int
        switch model {
        case .bpe:
            let options = TrainingOptions(
                preTokenization: pretokenizer ?? .metaspace, nfkc: nfkc, minFrequency: minFrequency,
                specialTokens: SpecialTokens(inIDOrder: s, pad: s[0], bos: s[1], eos: s[2], unk: s[3]), threads: threads)
            let tokenizer = try Tokenizer.train(files: files, vocabSize: vocabSize, options: options, progress: progress)
            save = { try tokenizer.save(to: output); return tokenizer.vocabSize }
        case .wordpiece:
            var trainer = WordPieceTrainer(vocabSize: vocabSize)
            trainer.specialTokens = s
            (trainer.padToken, trainer.unkToken, trainer.clsToken, trainer.sepToken) = (s[0], s[1], s[2], s[3])
            trainer.minFrequency = minFrequency
            trainer.limitAlphabet = limitAlphabet == 0 ? nil : limitAlphabet
            trainer.normalization.lowercase = !cased
            trainer.threads = threads
            let vocabulary = try trainer.train(files: files, progress: progress)
            save = { try vocabulary.save(to: output); return vocabulary.tokens.count }
        case .unigram:
            var trainer = UnigramTrainer(vocabSize: vocabSize)
            trainer.specialTokens = SpecialTokens(inIDOrder: s, pad: s[0], bos: s[1], eos: s[2], unk: s[3])
            trainer.characterCoverage = characterCoverage
            trainer.byteFallback = byteFallback
            trainer.threads = threads
            let vocabulary = try trainer.train(files: files, progress: progress)
            save = { try vocabulary.save(to: output); return vocabulary.pieces.count }
        }
        printer.finish()
        let trained = Date().timeIntervalSince(start)
        let count = try save()
        let seconds = Date().timeIntervalSince(start)
        FileHandle.standardError.write(Data(String(format: "wrote %@: %d tokens in %.2f s (training %.3f s)\n", output, count, seconds, trained).utf8))
    }
}

/// Training progress on stderr once training has run half a second: one live line with rate
/// and ETA on a terminal, plain lines (at most one a second) otherwise.
final class ProgressPrinter: @unchecked Sendable {
    private let lock = NSLock()
    private let live = isatty(2) != 0
    private let started = Date()
    private var phaseStart = Date()
    private var lastPrint = Date.distantPast
    private var phase: TrainingProgress.Phase?
    private var lineOpen = false
    private var printedFinish = false

    func report(_ p: TrainingProgress) {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        if p.phase != phase {
            if lineOpen { write("\n"); lineOpen = false }
            // The first phase started when training did (reading files), later ones now.
            if phase != nil { phaseStart = now }
            phase = p.phase
            printedFinish = false
        }
        let finished = p.completed >= p.total
        // Quick runs stay quiet: progress is for large inputs.
        guard now.timeIntervalSince(started) >= 0.5, !printedFinish, finished || now.timeIntervalSince(lastPrint) >= (live ? 0.1 : 1) else { return }
        printedFinish = finished
        lastPrint = now
        let elapsed = max(now.timeIntervalSince(phaseStart), 1e-6)
        let rate = Double(p.completed) / elapsed
        let eta = rate > 0 ? Double(p.total - p.completed) / rate : 0
        let fraction = p.total > 0 ? 100 * Double(p.completed) / Double(p.total) : 100
        let amount: String
        switch p.phase {
        case .counting: amount = String(format: "%.1f/%.1f MB, %.1f MB/s", Double(p.completed) / 1e6, Double(p.total) / 1e6, rate / 1e6)
        case .merging: amount = String(format: "%d/%d tokens, %.0f/s", p.completed, p.total, rate)
        case .pruning: amount = String(format: "%d/%d pieces removed, %.0f/s", p.completed, p.total, rate)
        }
        let text = String(format: "%@: %3.0f%% (%@, ETA %.1f s)", p.phase.rawValue, fraction, amount, eta)
        if live {
            write("\r\u{1B}[K" + text)
            lineOpen = true
        } else {
            write(text + "\n")
        }
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if lineOpen { write("\n"); lineOpen = false }
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}

/// Reads `--input` or stdin as bytes and splits it into lines, checking UTF-8.
func readLines(_ input: String?) throws -> (name: String, bytes: [UInt8], lines: [Range<Int>]) {
    let name = input ?? "<stdin>"
    let bytes = try input.map(FileIO.read) ?? [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    try FileIO.validateUTF8(bytes, path: name)
    return (name, bytes, FileIO.lineRanges(bytes))
}

/// A failure reported as `Error: message` with exit status 1 (no usage text).
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A tokenizer.json, a SentencePiece `.model`/`.spm` file, or a Marian directory (source.spm, vocab.json, …).
func writeStdout(_ bytes: [UInt8]) {
    bytes.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
}

struct EncodeTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Print the token ids of each input line, separated by single spaces.")

    @Option(help: "tokenizer.json, SentencePiece .model/.spm file, or a model directory as the Hugging Face hub has it (Marian included).")
    var tokenizer: String

    @Option(help: "Text file to encode (default: stdin).")
    var input: String?

    @Flag(help: "Wrap each line in the special tokens of the tokenizer's post-processor (<bos> … <eos>).")
    var addSpecial = false

    @Option(help: "Threads.")
    var threads: Int = 2

    func run() throws {
        let tok = try Tokenizer.load(fileOrDirectory: tokenizer)
        let (_, bytes, lines) = try readLines(input)
        let batch = 8192
        for start in stride(from: 0, to: lines.count, by: batch) {
            let texts = lines[start..<min(start + batch, lines.count)].map { String(decoding: bytes[$0], as: UTF8.self) }
            var out: [UInt8] = []
            for ids in tok.encodeBatch(texts, addSpecial: addSpecial, threads: threads) {
                for (n, id) in ids.enumerated() {
                    if n > 0 { out.append(0x20) }
                    out += Array(String(id).utf8)
                }
                out.append(0x0A)
            }
            writeStdout(out)
        }
        fflush(stdout)
    }
}

struct DecodeTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Print the text of each input line of space-separated token ids.")

    @Option(help: "tokenizer.json, SentencePiece .model/.spm file, or a model directory as the Hugging Face hub has it (Marian included).")
    var tokenizer: String

    @Option(help: "File of id lines (default: stdin).")
    var input: String?

    @Flag(help: "Print special tokens such as <bos> instead of leaving them out.")
    var keepSpecial = false

    func run() throws {
        let tok = try Tokenizer.load(fileOrDirectory: tokenizer)
        let (name, bytes, lines) = try readLines(input)
        var out: [UInt8] = []
        for (n, range) in lines.enumerated() {
            var ids: [Int32] = []
            for field in bytes[range].split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }) {
                guard let id = Int32(String(decoding: field, as: UTF8.self)), id >= 0, Int(id) < tok.vocabSize else {
                    throw CommandError("\(name):\(n + 1): \"\(String(decoding: field, as: UTF8.self))\" is not a token id (0..<\(tok.vocabSize))")
                }
                ids.append(id)
            }
            out += Array(tok.decode(ids, skipSpecial: !keepSpecial).utf8)
            out.append(0x0A)
            if out.count > 1 << 20 { writeStdout(out); out.removeAll(keepingCapacity: true) }
        }
        writeStdout(out)
        fflush(stdout)
    }
}

struct InspectTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a tokenizer's model, pipeline (normalizer → pre-tokenizer → model → post-processor → decoder) and special tokens.")

    @Argument(help: "tokenizer.json, or a model directory as the Hugging Face hub has it.")
    var path: String

    func run() throws {
        print(try Tokenizer.load(fileOrDirectory: path).describe(path: path))
    }
}
