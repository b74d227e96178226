// Training data: aligned parallel text (one sentence per line, lines stripped) or plain text,
// tokenized with the project's tokenizer into examples of token ids, with length limits
// and a count of what was skipped.
import Foundation
import Tokenization

/// One training example: source ids (empty for language models) and target ids, neither
/// holding `<bos>`/`<eos>` (the batcher adds them).
public struct Example: Equatable, Sendable {
    public var source: [Int32]
    public var target: [Int32]
    public init(source: [Int32], target: [Int32]) { self.source = source; self.target = target }
}

/// Examples with the number of pairs dropped by the length limits or for being empty.
public struct Corpus: Sendable {
    public var examples: [Example]
    public var skipped: Int
    public init(examples: [Example], skipped: Int) { self.examples = examples; self.skipped = skipped }
}

public enum ParallelCorpus {
    /// The stripped lines of a text file (a final empty line from a trailing newline dropped).
    public static func lines(of path: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else { throw TrainingError("data file \(path) does not exist") }
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path) } catch { throw TrainingError("cannot read \(path): \(error)") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw TrainingError("\(path) is not valid UTF-8") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Aligned lines of two files; the error names both files when their line counts differ.
    public static func pairs(source: String, target: String) throws -> [(String, String)] {
        let (s, t) = (try lines(of: source), try lines(of: target))
        guard s.count == t.count else {
            throw TrainingError("\(source) has \(s.count) lines but \(target) has \(t.count): parallel files must be aligned line by line")
        }
        return Array(zip(s, t))
    }

    /// Tokenizes pairs (targets with `targetTokenizer` when given: a Marian model's target side);
    /// a pair is skipped when a side is empty or longer than its limit once `<eos>` (and, on the
    /// target, `<bos>`) is added.
    public static func tokenize(_ pairs: [(String, String)], tokenizer: Tokenizer, targetTokenizer: Tokenizer? = nil,
                                maxSourceLength: Int, maxTargetLength: Int) -> Corpus {
        let sources = tokenizer.encodeBatch(pairs.map(\.0))
        let targets = (targetTokenizer ?? tokenizer).encodeBatch(pairs.map(\.1))
        var examples: [Example] = []
        examples.reserveCapacity(pairs.count)
        var skipped = 0
        for (s, t) in zip(sources, targets) {
            if s.isEmpty || t.isEmpty || s.count + 1 > maxSourceLength || t.count + 1 > maxTargetLength {
                skipped += 1
            } else {
                examples.append(Example(source: s, target: t))
            }
        }
        return Corpus(examples: examples, skipped: skipped)
    }
}

public enum TextCorpus {
    /// Splits a text file's lines into a training and a held-out part (the last `validFraction`).
    public static func split(lines: [String], validFraction: Double) -> (train: [String], valid: [String]) {
        let held = Int((Double(lines.count) * validFraction).rounded())
        return (Array(lines[..<(lines.count - held)]), Array(lines[(lines.count - held)...]))
    }

    /// The text as one token stream (each line followed by a newline) cut into consecutive
    /// blocks of `blockSize + 1` tokens: the model reads the first `blockSize` and predicts
    /// the last `blockSize`. A short remainder is dropped (and counted as one skipped block).
    public static func blocks(lines: [String], tokenizer: Tokenizer, blockSize: Int) -> Corpus {
        let stream = tokenizer.encodeBatch(lines.map { $0 + "\n" }).flatMap { $0 }
        var examples: [Example] = []
        var start = 0
        while start + blockSize + 1 <= stream.count {
            examples.append(Example(source: [], target: Array(stream[start..<(start + blockSize + 1)])))
            start += blockSize
        }
        return Corpus(examples: examples, skipped: start < stream.count - 1 ? 1 : 0)
    }
}
