import XCTest
import Tokenization

/// decode(encode(s)) == s for the lossless SentencePiece set-ups: identity normalization with
/// byte fallback, so every character encodes. `▁` itself decodes as a space in spm (and
/// Hugging Face), so the strings leave it out.
final class SentencePieceRoundTripTests: XCTestCase {
    static func strings(seed: UInt64, count: Int) -> [String] {
        var rng = RoundTripTests.Rng(state: seed)
        return (0..<count).map { _ in
            String(RoundTripTests.randomString(&rng, maxLength: 40).unicodeScalars.filter { $0.value != 0x2581 }.map(Character.init))
        }
    }

    func testByteFallbackModelsAreLossless() throws {
        let texts = Self.strings(seed: 7, count: 3000) + ["", " ", "  x  ", "\t\n", "<sep>@@<sep>", "😀\u{0}😀"]
        for (kind, file) in [("sentencepiece", "unigram_bytes.model"), ("sentencepiece", "bpe_bytes.model"),
                             ("sentencepiece", "unigram_unused.model"), ("sentencepiece", "bpe_unused.model"),
                             ("tokenizer.json", "hf_unigram_bytes.json")] {
            let tokenizer = try SentencePieceParityTests.tokenizer(kind, file)
            let batch = tokenizer.encodeBatch(texts)
            for (text, ids) in zip(texts, batch) {
                XCTAssertEqual(Array(tokenizer.decode(ids).utf8), Array(text.utf8), "\(file): \(text.debugDescription) → \(ids)")
                XCTAssertFalse(ids.contains(tokenizer.unkID ?? -1), "\(file): <unk> in \(text.debugDescription)")
            }
        }
    }

    /// The same ids on one thread and two, and from `encode` one text at a time.
    func testBatchesAreDeterministic() throws {
        let texts = Self.strings(seed: 11, count: 800)
        for (kind, file) in [("sentencepiece", "unigram_nmt.model"), ("sentencepiece", "bpe_unk.model"), ("marian", "marian"),
                             ("tokenizer.json", "hf_unigram_nmt.json")] {
            let tokenizer = try SentencePieceParityTests.tokenizer(kind, file)
            let two = tokenizer.encodeBatch(texts, threads: 2)
            XCTAssertEqual(two, tokenizer.encodeBatch(texts, threads: 1), file)
            XCTAssertEqual(two, texts.map { tokenizer.encode($0) }, file)
        }
    }
}
