import XCTest
import Tokenization

/// Our ids and decoded text equal Hugging Face `tokenizers` on its own files and on ours.
final class ParityTests: XCTestCase {
    func testEveryFixtureMatchesHuggingFace() throws {
        let expected = try Fixtures.expected()
        XCTAssertEqual(expected.tokenizers.count, 8)
        for (name, want) in expected.tokenizers.sorted(by: { $0.key < $1.key }) {
            let tokenizer = try Fixtures.tokenizer(name)
            for (n, text) in expected.cases.enumerated() {
                XCTAssertEqual(tokenizer.encode(text), want.ids[n], "\(name): ids of \(text.debugDescription)")
                XCTAssertEqual(tokenizer.encode(text, addSpecial: true), want.ids_special[n], "\(name): special ids of \(text.debugDescription)")
                XCTAssertEqual(Array(tokenizer.decode(want.ids[n]).utf8), Array(want.decoded[n].utf8),
                               "\(name): decoding \(text.debugDescription)")
            }
            XCTAssertEqual(tokenizer.encodeBatch(expected.cases), want.ids, "\(name): batch")
        }
    }

    func testOurFilesDeclareTheRoles() throws {
        let tokenizer = try Fixtures.tokenizer("ours_metaspace")
        XCTAssertEqual([tokenizer.padID, tokenizer.bosID, tokenizer.eosID, tokenizer.unkID], [0, 1, 2, 3])
        XCTAssertEqual(tokenizer.vocabSize, 500)
        XCTAssertEqual(tokenizer.token(forID: 1), "<bos>")
        XCTAssertEqual(tokenizer.id(forToken: "Ġ"), 224)
    }

    func testSavedFileLoadsToTheSameTokenizer() throws {
        let original = try Fixtures.tokenizer("hf_llama_style")
        let path = NSTemporaryDirectory() + "/parity-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try original.save(to: path)
        let reloaded = try Tokenizer(contentsOfFile: path)
        for line in try Fixtures.corpusLines() {
            XCTAssertEqual(reloaded.encode(line, addSpecial: true), original.encode(line, addSpecial: true))
        }
        XCTAssertEqual(reloaded.vocabSize, original.vocabSize)
    }
}

/// Tokenizers our trainers wrote, read back by us, give the ids Hugging Face `tokenizers` gives
/// for the same files (Fixtures/trained_expected.json, from scripts/trainer_fixtures.py).
final class TrainedTokenizerParityTests: XCTestCase {
    func testOurTrainedWordPieceMatchesHuggingFace() throws { try check("ours_wordpiece") }

    func testOurTrainedUnigramMatchesHuggingFace() throws { try check("ours_unigram") }

    private func check(_ name: String) throws {
        let expected = try JSONDecoder().decode(Fixtures.Expected.self,
                                                from: Data(contentsOf: Fixtures.directory.appendingPathComponent("trained_expected.json")))
        let want = try XCTUnwrap(expected.tokenizers[name])
        let tokenizer = try Fixtures.tokenizer(name)
        for (n, text) in expected.cases.enumerated() {
            XCTAssertEqual(tokenizer.encode(text), want.ids[n], "\(name): ids of \(text.debugDescription)")
            XCTAssertEqual(tokenizer.encode(text, addSpecial: true), want.ids_special[n], "\(name): special ids of \(text.debugDescription)")
            XCTAssertEqual(tokenizer.decode(want.ids[n]), want.decoded[n], "\(name): decoding \(text.debugDescription)")
        }
    }
}
