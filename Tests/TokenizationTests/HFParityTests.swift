import XCTest
import Tokenization

/// Tokenizers trained with Hugging Face `tokenizers` (BERT, RoBERTa, GPT-2, Llama-2/3, WordLevel,
/// every split behaviour, added tokens): our ids, pair type ids and decodings equal theirs.
final class HFParityTests: XCTestCase {
    func testIdsTypeIdsAndDecodingsMatchTokenizers() throws {
        let expected = try HFFixtures.json("expected.json")
        let cases = expected["cases"] as? [String] ?? []
        let pairs = expected["pairs"] as? [[String]] ?? []
        let all = expected["tokenizers"] as? [String: [String: Any]] ?? [:]
        XCTAssertEqual(all.count, 9)
        for (name, want) in all.sorted(by: { $0.key < $1.key }) {
            let tokenizer = try HFFixtures.tokenizer(name)
            let ids = HFFixtures.ints(want["ids"]), special = HFFixtures.ints(want["ids_special"])
            let decoded = want["decoded"] as? [String] ?? [], kept = want["decoded_keep"] as? [String] ?? []
            for (n, text) in cases.enumerated() {
                XCTAssertEqual(tokenizer.encode(text), ids[n], "\(name): ids of \(text.debugDescription)")
                XCTAssertEqual(tokenizer.encode(text, addSpecial: true), special[n], "\(name): special ids of \(text.debugDescription)")
                XCTAssertEqual(tokenizer.decode(special[n]), decoded[n], "\(name): decoding \(text.debugDescription)")
                XCTAssertEqual(tokenizer.decode(special[n], skipSpecial: false), kept[n], "\(name): decoding with specials \(text.debugDescription)")
            }
            XCTAssertEqual(tokenizer.encodeBatch(cases), ids, "\(name): batch")
            for (n, pair) in pairs.enumerated() {
                let with = tokenizer.encode(pair[0], pair: pair[1], addSpecial: true)
                XCTAssertEqual(with.ids, HFFixtures.ints(want["pair_ids"])[n], "\(name): pair \(pair)")
                XCTAssertEqual(with.typeIDs, HFFixtures.ints(want["pair_type_ids"])[n], "\(name): pair type ids \(pair)")
                let without = tokenizer.encode(pair[0], pair: pair[1], addSpecial: false)
                XCTAssertEqual(without.ids, HFFixtures.ints(want["pair_ids_plain"])[n], "\(name): plain pair \(pair)")
                XCTAssertEqual(without.typeIDs, HFFixtures.ints(want["pair_type_ids_plain"])[n], "\(name): plain pair type ids \(pair)")
            }
        }
    }

    func testTemplateSpecialTokensMayStandForSeveralIds() throws {
        let document: [String: Any] = [
            "model": ["type": "WordLevel", "vocab": ["<a>": 0, "<b>": 1, "x": 2, "y": 3], "unk_token": "x"],
            "pre_tokenizer": ["type": "WhitespaceSplit"],
            "post_processor": ["type": "TemplateProcessing",
                               "single": [["SpecialToken": ["id": "AB", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                               "pair": [["Sequence": ["id": "A", "type_id": 0]], ["SpecialToken": ["id": "AB", "type_id": 1]],
                                        ["Sequence": ["id": "B", "type_id": 1]]],
                               "special_tokens": ["AB": ["id": "AB", "ids": [0, 1], "tokens": ["<a>", "<b>"]]]],
        ]
        let tokenizer = try HFFixtures.tokenizer(document: document)
        XCTAssertEqual(tokenizer.encode("y x", addSpecial: true), [0, 1, 3, 2])
        XCTAssertEqual(tokenizer.encode("y", pair: "x y", addSpecial: true), Encoding(ids: [3, 0, 1, 2, 3], typeIDs: [0, 1, 1, 1, 1]))
        XCTAssertEqual(tokenizer.encode("y", pair: "x", addSpecial: false), Encoding(ids: [3, 2], typeIDs: [0, 1]))
        XCTAssertEqual(tokenizer.prefixIDs, [0, 1])
    }

    func testBatchesAreTheSameOnOneOrTwoThreads() throws {
        let lines = try Fixtures.corpusLines()
        let texts = Array(repeating: lines, count: 4).flatMap { $0 }
        for name in ["bert_uncased", "llama3", "splits", "added"] {
            let tokenizer = try HFFixtures.tokenizer(name)
            XCTAssertEqual(tokenizer.encodeBatch(texts, threads: 1), tokenizer.encodeBatch(texts, threads: 2), name)
        }
    }

    func testSavedFilesLoadToTheSameTokenizers() throws {
        let cases = try HFFixtures.json("expected.json")["cases"] as? [String] ?? []
        for name in ["bert_uncased", "bert_cased", "roberta", "llama3", "llama2", "wordlevel", "splits", "added"] {
            let original = try HFFixtures.tokenizer(name)
            let path = NSTemporaryDirectory() + "/hf-saved-\(UUID().uuidString).json"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try original.save(to: path)
            let reloaded = try Tokenizer(contentsOfFile: path)
            for text in cases {
                XCTAssertEqual(reloaded.encode(text, pair: "x y", addSpecial: true), original.encode(text, pair: "x y", addSpecial: true), "\(name)")
            }
        }
    }

    func testHubDirectoryDeclaresTheRoles() throws {
        let tokenizer = try Tokenizer.load(fileOrDirectory: HFFixtures.path("bert_dir"))
        XCTAssertEqual(tokenizer.modelType, "WordPiece")
        XCTAssertEqual(tokenizer.clsID, tokenizer.id(forToken: "[CLS]"))
        XCTAssertEqual(tokenizer.sepID, tokenizer.id(forToken: "[SEP]"))
        XCTAssertEqual(tokenizer.padID, 0)
        XCTAssertEqual(tokenizer.unkID, 1)
        XCTAssertEqual(tokenizer.maskID, 4)
        XCTAssertNil(tokenizer.bosID)
        XCTAssertNil(tokenizer.eosID)
        // A bare GPT-2 file: its <|endoftext|> ends text; it has no pad.
        let gpt2 = try Tokenizer.load(fileOrDirectory: HFFixtures.path("gpt2.json"))
        XCTAssertEqual(gpt2.eosID, 0)
        XCTAssertNil(gpt2.padID)
        let text = gpt2.describe(path: "gpt2.json")
        XCTAssertTrue(text.contains("pre-tokenizer: ByteLevel(add_prefix_space=false"), text)
        XCTAssertTrue(text.contains("eos <|endoftext|> = 0"), text)
    }

    func testDirectoriesWithoutTokenizerJSONSayWhatTheyHold() throws {
        let dir = NSTemporaryDirectory() + "/hub-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertThrowsError(try Tokenizer.load(fileOrDirectory: dir)) { error in
            XCTAssertTrue("\(error)".contains("looked for tokenizer.json, tokenizer.model"), "\(error)")
        }
        for name in ["source.spm", "target.spm", "vocab.json"] { _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data()) }
        // Recognized as Marian, so the error is the SentencePiece reader's about an empty file.
        XCTAssertThrowsError(try Tokenizer.load(fileOrDirectory: dir)) { error in
            XCTAssertTrue("\(error)".contains(".spm") || "\(error)".contains("vocab.json"), "\(error)")
        }
        XCTAssertThrowsError(try Tokenizer.load(fileOrDirectory: dir + "/missing")) { error in
            XCTAssertTrue("\(error)".contains("no such file"), "\(error)")
        }
    }

    func testSpecialTokensInTextAreFoundUnlessAskedNot() throws {
        var tokenizer = try HFFixtures.tokenizer("roberta")
        let mask = try XCTUnwrap(tokenizer.id(forToken: "<mask>"))
        XCTAssertTrue(tokenizer.encode("a <mask> b").contains(mask))
        tokenizer.encodeSpecialTokens = true
        XCTAssertFalse(tokenizer.encode("a <mask> b").contains(mask))
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("a <mask> b")), "a <mask> b")
    }
}
