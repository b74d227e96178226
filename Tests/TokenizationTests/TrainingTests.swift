import XCTest
import Tokenization

final class TrainingTests: XCTestCase {
    private func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "/tok-\(UUID().uuidString).txt"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func saved(_ tokenizer: Tokenizer) throws -> Data {
        let path = NSTemporaryDirectory() + "/tok-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try tokenizer.save(to: path)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    func testTrainingIsDeterministicAcrossRunsAndThreads() throws {
        for mode in PreTokenization.allCases {
            let one = try Tokenizer.train(files: [Fixtures.corpus], vocabSize: 600, options: TrainingOptions(preTokenization: mode, threads: 1))
            let two = try Tokenizer.train(files: [Fixtures.corpus], vocabSize: 600, options: TrainingOptions(preTokenization: mode, threads: 2))
            let again = try Tokenizer.train(files: [Fixtures.corpus], vocabSize: 600, options: TrainingOptions(preTokenization: mode, threads: 2))
            XCTAssertEqual(try saved(one), try saved(two), "\(mode)")
            XCTAssertEqual(try saved(two), try saved(again), "\(mode)")
        }
    }

    func testCLIFixtureIsReproduced() throws {
        // ours_metaspace.json came from `transformer tokenizer train --vocab-size 500 corpus.txt`.
        let trained = try Tokenizer.train(files: [Fixtures.corpus], vocabSize: 500)
        let fixture = try Fixtures.tokenizer("ours_metaspace")
        for line in try Fixtures.corpusLines() { XCTAssertEqual(trained.encode(line), fixture.encode(line)) }
    }

    func testVocabularyAndSpecialTokens() throws {
        let tokenizer = try Tokenizer.train(files: [Fixtures.corpus], vocabSize: 450)
        XCTAssertEqual(tokenizer.vocabSize, 450)
        XCTAssertEqual([tokenizer.padID, tokenizer.bosID, tokenizer.eosID, tokenizer.unkID], [0, 1, 2, 3])
        let custom = SpecialTokens(inIDOrder: ["<unk>", "<s>", "</s>", "<pad>", "<mask>"],
                                   pad: "<pad>", bos: "<s>", eos: "</s>", unk: "<unk>")
        let other = try Tokenizer.train(files: [Fixtures.corpus], vocabSize: 450, options: TrainingOptions(specialTokens: custom))
        XCTAssertEqual([other.padID, other.bosID, other.eosID, other.unkID], [3, 1, 2, 0])
        XCTAssertEqual(other.id(forToken: "<mask>"), 4)
        XCTAssertEqual(other.encode("a", addSpecial: true).first, 1)
    }

    func testMinFrequencyStopsEarly() throws {
        let path = try temporaryFile(Array("aaab aaab xyz\n".utf8))
        let tokenizer = try Tokenizer.train(files: [path], vocabSize: 1000, options: TrainingOptions(minFrequency: 2))
        XCTAssertLessThan(tokenizer.vocabSize, 300)
        XCTAssertEqual(tokenizer.encode("aaab").count, 1)
    }

    func testBadInputsGiveClearErrors() throws {
        let bad = try temporaryFile(Array("fine\nstill fine\n".utf8) + [0x61, 0xC3, 0x28] + Array("\nmore\n".utf8))
        XCTAssertThrowsError(try Tokenizer.train(files: [Fixtures.corpus, bad], vocabSize: 400)) { error in
            XCTAssertEqual(error as? TokenizationError, .invalidUTF8(file: bad, line: 3))
            XCTAssertEqual("\(error)", "\(bad):3: not valid UTF-8")
        }
        XCTAssertThrowsError(try Tokenizer.train(files: ["/nonexistent/x.txt"], vocabSize: 400)) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/x.txt: "), "\(error)")
        }
        XCTAssertThrowsError(try Tokenizer.train(files: [Fixtures.corpus], vocabSize: 100))
        let json = try temporaryFile(Array("{\n\"model\": {\"type\": \"BPE\",\n \"vocab\": [}\n}".utf8))
        XCTAssertThrowsError(try Tokenizer(contentsOfFile: json)) { error in
            guard case let .malformedJSON(file, line, _)? = error as? TokenizationError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, json)
            XCTAssertEqual(line, 3)
        }
        let mystery = try temporaryFile(Array(#"{"model": {"type": "Mystery", "vocab": {}}}"#.utf8))
        XCTAssertThrowsError(try Tokenizer(contentsOfFile: mystery)) { error in
            XCTAssertEqual(error as? TokenizationError, .unsupported(file: mystery, component: "model: unsupported model type \"Mystery\" (supported: BPE, WordPiece, WordLevel, Unigram)"))
        }
        let bert = try temporaryFile(Array(#"{"model": {"type": "BPE", "vocab": {}, "merges": []}, "normalizer": {"type": "Bert"}}"#.utf8))
        XCTAssertThrowsError(try Tokenizer(contentsOfFile: bert)) { error in
            XCTAssertEqual(error as? TokenizationError, .unsupported(file: bert, component: "normalizer: unsupported normalizer type \"Bert\""))
        }
    }

    func testFileValidationNamesTheLine() throws {
        XCTAssertNoThrow(try FileIO.validateUTF8(Array("ok\n😀\n".utf8), path: "x"))
        for (bytes, line) in [([0xED, 0xA0, 0x80], 1), ([0x0A, 0xC0, 0xAF], 2), ([0x0A, 0x0A, 0xF4, 0x90, 0x80, 0x80], 3),
                              ([0x0A, 0xE2, 0x82], 2), ([0x80], 1)] as [([UInt8], Int)] {
            XCTAssertThrowsError(try FileIO.validateUTF8(bytes, path: "f.txt")) { error in
                XCTAssertEqual(error as? TokenizationError, .invalidUTF8(file: "f.txt", line: line))
            }
        }
    }
}
