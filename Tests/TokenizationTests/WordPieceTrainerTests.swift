import JSONText
import Tokenization
import XCTest

final class WordPieceTrainerTests: XCTestCase {
    private func temporaryFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "/wp-\(UUID().uuidString).txt"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func trainer(_ vocabSize: Int = 500, threads: Int = 2) -> WordPieceTrainer {
        var t = WordPieceTrainer(vocabSize: vocabSize)
        t.threads = threads
        return t
    }

    /// Greedy longest-match-first WordPiece segmentation (BERT's, over Unicode scalars), nil
    /// where a word needs [UNK].
    private func segment(_ word: String, _ vocab: Set<String>, prefix: String = "##") -> [String]? {
        let chars = Array(word.unicodeScalars)
        var pieces: [String] = []
        var start = 0
        while start < chars.count {
            var end = chars.count
            var found: String?
            while end > start {
                let piece = (start > 0 ? prefix : "") + String(String.UnicodeScalarView(chars[start..<end]))
                if vocab.contains(piece) { found = piece; break }
                end -= 1
            }
            guard let found else { return nil }
            pieces.append(found)
            start = end
        }
        return pieces
    }

    func testDeterministicAndThreadCountInvariant() throws {
        let one = try trainer(threads: 1).train(files: [Fixtures.corpus])
        let two = try trainer(threads: 2).train(files: [Fixtures.corpus])
        let again = try trainer(threads: 2).train(files: [Fixtures.corpus])
        XCTAssertEqual(one.jsonDocument(), two.jsonDocument())
        XCTAssertEqual(two.jsonDocument(), again.jsonDocument())
    }

    func testCLIFixtureIsReproduced() throws {
        // ours_wordpiece.json came from `transformer tokenizer train --model wordpiece --vocab-size 500 corpus.txt`
        // (scripts/trainer_fixtures.py); Hugging Face `tokenizers` loads it.
        let fixture = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("ours_wordpiece.json")))
        XCTAssertEqual(Data(try trainer(500).train(files: [Fixtures.corpus]).jsonDocument()), fixture)
    }

    func testRequestedSizeWithSpecialTokensFirst() throws {
        let vocabulary = try trainer(500).train(files: [Fixtures.corpus])
        XCTAssertEqual(vocabulary.tokens.count, 500)
        XCTAssertEqual(Set(vocabulary.tokens).count, 500)
        XCTAssertEqual(Array(vocabulary.tokens.prefix(5)), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
        let roles = vocabulary.specialTokenRoles
        XCTAssertEqual([roles.pad, roles.unk, roles.bos, roles.eos], ["[PAD]", "[UNK]", "[CLS]", "[SEP]"])

        var custom = trainer(500)
        custom.specialTokens = ["<cls>", "<sep>", "<unk>", "<pad>"]
        (custom.padToken, custom.unkToken, custom.clsToken, custom.sepToken) = ("<pad>", "<unk>", "<cls>", "<sep>")
        let other = try custom.train(files: [Fixtures.corpus])
        XCTAssertEqual(Array(other.tokens.prefix(4)), ["<cls>", "<sep>", "<unk>", "<pad>"])
        XCTAssertFalse(other.tokens.dropFirst(4).contains("[UNK]"))
    }

    func testEveryCorpusWordSegmentsWithoutUnknown() throws {
        let t = trainer(500)
        let vocabulary = try t.train(files: [Fixtures.corpus])
        let vocab = Set(vocabulary.tokens)
        var words = 0
        for line in try Fixtures.corpusLines() {
            for word in t.words(in: line) {
                XCTAssertNotNil(segment(word, vocab), "\"\(word)\" needs [UNK]")
                words += 1
            }
        }
        XCTAssertGreaterThan(words, 3000)
        // Merged pieces exist both word-initially and as ## continuations.
        XCTAssertTrue(vocabulary.tokens.contains { $0.hasPrefix("##") && $0.count >= 4 })
        XCTAssertTrue(vocabulary.tokens.dropFirst(5).contains { !$0.hasPrefix("##") && $0.count >= 3 })
        XCTAssertEqual(segment("woman", vocab).map { $0.count }, 1)
    }

    func testBertNormalizationAndPreTokenization() {
        let t = trainer()
        XCTAssertEqual(t.words(in: "Héllo, WORLD!\tÜber\u{0}\u{200B}x 北京 don't"),
                       ["hello", ",", "world", "!", "uberx", "北", "京", "don", "'", "t"])
        var cased = trainer()
        cased.normalization.lowercase = false
        XCTAssertEqual(cased.words(in: "Héllo, Über"), ["Héllo", ",", "Über"])
        var stripped = cased
        stripped.normalization.stripAccents = true
        XCTAssertEqual(stripped.words(in: "Héllo"), ["Hello"])
    }

    func testAlphabetLimitAndInitialAlphabet() throws {
        var t = trainer(500)
        t.limitAlphabet = 40
        t.initialAlphabet = ["ж"]
        let vocabulary = try t.train(files: [Fixtures.corpus])
        let initials = vocabulary.tokens.dropFirst(5).filter { $0.unicodeScalars.count == 1 }
        XCTAssertEqual(initials.count, 40)
        XCTAssertTrue(initials.contains("ж"))
        XCTAssertTrue(initials.contains("e"))
        XCTAssertFalse(initials.contains("😀"))

        var cased = trainer(500)
        cased.normalization.lowercase = false
        let casedVocabulary = try cased.train(files: [Fixtures.corpus])
        XCTAssertTrue(casedVocabulary.tokens.contains("A"))
        XCTAssertFalse(vocabulary.tokens.contains("A"))
    }

    func testTokenizerJSON() throws {
        let vocabulary = try trainer(400).train(files: [Fixtures.corpus])
        let root = try JSONValue.parse(vocabulary.jsonDocument())
        XCTAssertEqual(root["model"]?["type"]?.string, "WordPiece")
        XCTAssertEqual(root["model"]?["unk_token"]?.string, "[UNK]")
        XCTAssertEqual(root["model"]?["continuing_subword_prefix"]?.string, "##")
        guard case let .object(vocab)? = root["model"]?["vocab"] else { return XCTFail("no vocab object") }
        XCTAssertEqual(vocab.count, 400)
        XCTAssertEqual(vocab[2].key, "[CLS]")
        XCTAssertEqual(vocab[2].value.double, 2)
        XCTAssertEqual(root["normalizer"]?["type"]?.string, "BertNormalizer")
        XCTAssertEqual(root["normalizer"]?["lowercase"]?.bool, true)
        XCTAssertEqual(root["pre_tokenizer"]?["type"]?.string, "BertPreTokenizer")
        XCTAssertEqual(root["decoder"]?["type"]?.string, "WordPiece")
        let single = root["post_processor"]?["single"]?.array ?? []
        XCTAssertEqual(single.map { $0["SpecialToken"]?["id"]?.string ?? $0["Sequence"]?["id"]?.string }, ["[CLS]", "A", "[SEP]"])
        XCTAssertEqual(root["post_processor"]?["pair"]?.array?.count, 5)
        XCTAssertEqual(root["post_processor"]?["special_tokens"]?["[SEP]"]?["ids"]?.array?.first?.double, 3)
        XCTAssertEqual(root["added_tokens"]?.array?.count, 5)
    }

    func testBadOptionsAreClearErrors() throws {
        func message(_ t: WordPieceTrainer, _ files: [String]) -> String {
            do { _ = try t.train(files: files); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(trainer(60), [Fixtures.corpus]).contains("vocabulary size 60 is below"), message(trainer(60), [Fixtures.corpus]))
        XCTAssertTrue(message(trainer(5), [Fixtures.corpus]).contains("no room"))
        XCTAssertTrue(message(trainer(), []).contains("no input files"))
        XCTAssertTrue(message(trainer(), [try temporaryFile(" \n\t\n\n")]).contains("no words"))
        XCTAssertTrue(message(trainer(), ["/nonexistent/corpus.txt"]).hasPrefix("/nonexistent/corpus.txt: "))
        var noCLS = trainer()
        noCLS.specialTokens = ["[PAD]", "[UNK]", "[SEP]"]
        XCTAssertTrue(message(noCLS, [Fixtures.corpus]).contains("cls token \"[CLS]\""))
        var twice = trainer()
        twice.specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[PAD]"]
        XCTAssertTrue(message(twice, [Fixtures.corpus]).contains("distinct"))
    }
}
