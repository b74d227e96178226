// Language-model data as nanoGPT prepares it: the text file as it is (newlines and spaces kept),
// the last `valid_fraction` of its characters held out, each part one token stream. Training
// reads windows of it at random offsets (`WindowSampler`); validation covers the held-out stream
// whole, in consecutive blocks.
import Foundation
import Tokenization

public enum TextCorpus {
    /// The file's text, unchanged.
    public static func read(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { throw TrainingError("data file \(path) does not exist") }
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path) } catch { throw TrainingError("cannot read \(path): \(error)") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw TrainingError("\(path) is not valid UTF-8") }
        return text
    }

    /// The text cut into a training part and the held-out last `validFraction` of its characters
    /// (Unicode scalars, as a character-level vocabulary counts them).
    public static func split(_ text: String, validFraction: Double) -> (train: String, valid: String) {
        let scalars = text.unicodeScalars
        // As nanoGPT: the training part is the first ⌊n·(1 − f)⌋ characters.
        let cut = scalars.index(scalars.startIndex, offsetBy: Int(Double(scalars.count) * (1 - validFraction)))
        return (String(scalars[..<cut]), String(scalars[cut...]))
    }

    /// The text as one token stream (encoded whole, so no piece boundary changes a token).
    public static func tokens(_ text: String, tokenizer: Tokenizer) -> [Int32] { tokenizer.encode(text) }

    /// `stream` in consecutive blocks of `blockSize + 1` tokens overlapping by one: each block
    /// predicts its last `blockSize` tokens from those before, so every token but the first is
    /// predicted once. The last block may be shorter.
    public static func blocks(_ stream: [Int32], blockSize: Int) -> Corpus {
        var examples: [Example] = []
        var start = 0
        while start + 1 < stream.count {
            let end = min(start + blockSize + 1, stream.count)
            examples.append(Example(source: [], target: Array(stream[start..<end])))
            start = end - 1
        }
        return Corpus(examples: examples, skipped: 0)
    }
}
