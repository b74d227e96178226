import Foundation
import XCTest
import Tokenization

/// Our ids and decodings equal the `sentencepiece` library's (`.model` files), Hugging Face
/// `tokenizers`' (Unigram tokenizer.json) and transformers' MarianTokenizer's, on the fixtures
/// written by scripts/sentencepiece_fixtures.py.
final class SentencePieceParityTests: XCTestCase {
    struct Expected: Decodable {
        struct PerTokenizer: Decodable {
            let kind: String
            let file: String
            let ids: [[Int32]]
            let ids_special: [[Int32]]
            let decoded: [String]
            let decoded_special: [String]
            let random_ids: [[Int32]]
            let random_decoded: [String]
        }
        let cases: [String]
        let marian_cases: [String]
        let tokenizers: [String: PerTokenizer]
    }

    static let directory = Fixtures.directory.appendingPathComponent("spm")

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: directory.appendingPathComponent("expected.json")))
    }

    static func tokenizer(_ kind: String, _ file: String) throws -> Tokenizer {
        let path = directory.appendingPathComponent(file)
        // .model files and Marian directories through the loader every command uses.
        return kind == "tokenizer.json" ? try Tokenizer(contentsOfFile: path.path) : try Tokenizer.load(fileOrDirectory: path.path)
    }

    func testEveryFixtureMatchesItsPeer() throws {
        let expected = try Self.expected()
        XCTAssertEqual(expected.tokenizers.count, 15)
        for (name, want) in expected.tokenizers.sorted(by: { $0.key < $1.key }) {
            let tokenizer = try Self.tokenizer(want.kind, want.file)
            let marian = want.kind == "marian"
            let cases = marian ? expected.marian_cases : expected.cases
            for (n, text) in cases.enumerated() {
                let label = "\(name): \(text.prefix(60).debugDescription)"
                XCTAssertEqual(tokenizer.encode(text), want.ids[n], "ids of \(label)")
                XCTAssertEqual(tokenizer.encode(text, addSpecial: true), want.ids_special[n], "special ids of \(label)")
                // spm decodes what it encoded; HF and Marian decode the ids with special tokens.
                let decoded = tokenizer.decode(marian ? want.ids_special[n] : want.ids[n])
                XCTAssertEqual(Array(decoded.utf8), Array(want.decoded[n].utf8), "decoding \(label)")
                let special = tokenizer.decode(want.ids_special[n], skipSpecial: !marian)
                XCTAssertEqual(Array(special.utf8), Array(want.decoded_special[n].utf8), "decoding special ids of \(label)")
            }
            for (ids, text) in zip(want.random_ids, want.random_decoded) {
                XCTAssertEqual(Array(tokenizer.decode(ids, skipSpecial: !marian).utf8), Array(text.utf8), "\(name): decoding \(ids)")
            }
            XCTAssertEqual(tokenizer.encodeBatch(cases), want.ids, "\(name): batch")
            XCTAssertEqual(tokenizer.encodeBatch(cases, threads: 1), want.ids, "\(name): batch on one thread")
        }
    }

    func testSpecialTokensAndLookups() throws {
        let spm = try Self.tokenizer("sentencepiece", "unigram_nmt.model")
        XCTAssertEqual([spm.unkID, spm.bosID, spm.eosID], [0, 1, 2])
        XCTAssertNil(spm.padID)
        XCTAssertEqual(spm.vocabSize, 1000)
        XCTAssertEqual(spm.token(forID: 2), "</s>")
        XCTAssertEqual(spm.id(forToken: "</s>"), 2)
        XCTAssertEqual(spm.prefixIDs, [1])
        XCTAssertEqual(spm.suffixIDs, [2])

        let marian = try Self.tokenizer("marian", "marian")
        XCTAssertEqual([marian.eosID, marian.unkID], [0, 1])
        XCTAssertEqual(marian.padID.map { $0 + 1 }, Int32(marian.vocabSize))
        XCTAssertNil(marian.bosID)
        XCTAssertEqual(marian.suffixIDs, [0])
        XCTAssertEqual(marian.prefixIDs, [])

        let spmText = spm.describe(path: "unigram_nmt.model"), bpeText = try Self.tokenizer("sentencepiece", "bpe_bytes.model").describe(path: "b")
        XCTAssertTrue(spmText.contains("model: SentencePiece, 1000 ids") && spmText.contains("unigram, precompiled character map"), spmText)
        XCTAssertTrue(spmText.contains("bos <s> = 1, eos </s> = 2, unk <unk> = 0"), spmText)
        XCTAssertTrue(bpeText.contains("bpe,") && bpeText.contains("byte_fallback"), bpeText)
        XCTAssertTrue(marian.describe(path: "m").contains("model: Marian"), marian.describe(path: "m"))
    }

    func testUnigramTokenizerJSONSavesAndReloads() throws {
        for name in ["hf_unigram_nmt", "hf_unigram_bytes"] {
            let original = try Self.tokenizer("tokenizer.json", name + ".json")
            let path = NSTemporaryDirectory() + "/unigram-\(UUID().uuidString).json"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try original.save(to: path)
            let reloaded = try Tokenizer(contentsOfFile: path)
            XCTAssertEqual(reloaded.normalizer, original.normalizer)
            for text in try Self.expected().cases {
                XCTAssertEqual(reloaded.encode(text, addSpecial: true), original.encode(text, addSpecial: true), "\(name): \(text.prefix(40))")
            }
        }
    }

    func testSentencePieceTokenizersHaveNoTokenizerJSONForm() throws {
        let path = NSTemporaryDirectory() + "/spm-\(UUID().uuidString).json"
        for tokenizer in [try Self.tokenizer("sentencepiece", "bpe_bytes.model"), try Self.tokenizer("marian", "marian")] {
            XCTAssertThrowsError(try tokenizer.save(to: path)) { error in
                XCTAssertTrue("\(error)".contains("no tokenizer.json form"), "\(error)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        }
    }
}
