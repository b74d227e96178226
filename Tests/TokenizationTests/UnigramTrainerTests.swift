import Foundation
import JSONText
import Tokenization
import XCTest

final class UnigramTrainerTests: XCTestCase {
    private func temporaryFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "/uni-\(UUID().uuidString).txt"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func trainer(_ vocabSize: Int = 300, threads: Int = 2) -> UnigramTrainer {
        var t = UnigramTrainer(vocabSize: vocabSize)
        t.threads = threads
        return t
    }

    private func logSumExp(_ xs: [Double]) -> Double {
        let m = xs.max() ?? 0
        return m + log(xs.reduce(0) { $0 + exp($1 - m) })
    }

    func testDeterministicAndThreadCountInvariant() throws {
        let one = try trainer(threads: 1).train(files: [Fixtures.corpus])
        let two = try trainer(threads: 2).train(files: [Fixtures.corpus])
        let three = try trainer(threads: 3).train(files: [Fixtures.corpus])
        XCTAssertEqual(one.jsonDocument(), two.jsonDocument())
        XCTAssertEqual(two.jsonDocument(), three.jsonDocument())
        XCTAssertEqual(one.rounds, three.rounds)
    }

    func testCLIFixtureIsReproduced() throws {
        // ours_unigram.json came from `transformer tokenizer train --model unigram --vocab-size 300 corpus.txt`
        // (scripts/trainer_fixtures.py); Hugging Face `tokenizers` loads it. Pruning turns on
        // small differences, and libm's exp/log may differ in the last bit on another CPU or
        // system, so this asks for nearly the same vocabulary rather than the same bytes.
        let fixture = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("ours_unigram.json")))))
        var expected: [String: Double] = [:]
        for entry in fixture["model"]?["vocab"]?.array ?? [] {
            if let piece = entry.array?.first?.string, let score = entry.array?.last?.double { expected[piece] = score }
        }
        let trained = try trainer(300).train(files: [Fixtures.corpus]).pieces
        XCTAssertEqual(expected.count, 300)
        let shared = trained.filter { expected[$0.piece] != nil }
        XCTAssertGreaterThan(shared.count, 290)
        for piece in shared { XCTAssertEqual(piece.score, expected[piece.piece] ?? 1, accuracy: 0.05, piece.piece) }
    }

    func testRequestedSizeSpecialTokensFirstAndScoresAreLogProbabilities() throws {
        let vocabulary = try trainer(300).train(files: [Fixtures.corpus])
        XCTAssertEqual(vocabulary.pieces.count, 300)
        XCTAssertEqual(Set(vocabulary.pieces.map(\.piece)).count, 300)
        XCTAssertEqual(vocabulary.pieces.prefix(4).map(\.piece), ["<pad>", "<bos>", "<eos>", "<unk>"])
        XCTAssertEqual(vocabulary.pieces.prefix(4).map(\.score), [0, 0, 0, 0])
        XCTAssertEqual(vocabulary.unkID, 3)
        let normal = vocabulary.pieces.dropFirst(vocabulary.reservedCount).map(\.score)
        XCTAssertTrue(normal.allSatisfy { $0 < 0 && $0.isFinite })
        XCTAssertEqual(normal, normal.sorted(by: >))
        // Digamma estimates of the kept pieces: a distribution up to the mass of what was cut.
        XCTAssertEqual(logSumExp(normal), 0, accuracy: 0.05)
        // Pieces never hold ▁ after their first character.
        XCTAssertFalse(vocabulary.pieces.dropFirst(4).contains { $0.piece.dropFirst().contains("▁") })
    }

    func testEveryCorpusCharacterIsAPiece() throws {
        let t = trainer(300)
        let pieces = Set(try t.train(files: [Fixtures.corpus]).pieces.map(\.piece))
        var characters = Set<Unicode.Scalar>()
        for line in try Fixtures.corpusLines() { for word in t.words(in: line) { characters.formUnion(word.unicodeScalars) } }
        XCTAssertGreaterThan(characters.count, 100)
        for c in characters { XCTAssertTrue(pieces.contains(String(c)), "\(c) is not a piece") }
        XCTAssertTrue(pieces.contains("▁the"))
    }

    func testCharacterCoverageAndByteFallback() throws {
        var t = trainer(500)
        t.characterCoverage = 0.98
        t.byteFallback = true
        let vocabulary = try t.train(files: [Fixtures.corpus])
        XCTAssertEqual(vocabulary.pieces.count, 500)
        XCTAssertEqual(vocabulary.reservedCount, 260)
        XCTAssertEqual(vocabulary.pieces[4].piece, "<0x00>")
        XCTAssertEqual(vocabulary.pieces[259].piece, "<0xFF>")
        let pieces = Set(vocabulary.pieces.dropFirst(260).map(\.piece))
        XCTAssertTrue(pieces.contains("e"))
        XCTAssertFalse(pieces.contains { $0.contains("😀") || $0.contains("京") })
        let root = try JSONValue.parse(vocabulary.jsonDocument())
        XCTAssertEqual(root["model"]?["byte_fallback"]?.bool, true)
        XCTAssertEqual(root["decoder"]?["decoders"]?.array?.first?["type"]?.string, "ByteFallback")
    }

    func testEMIncreasesLikelihoodBetweenPrunings() throws {
        let rounds = try trainer(200).train(files: [Fixtures.corpus]).rounds
        XCTAssertGreaterThan(rounds.filter(\.startsStage).count, 1)
        for (previous, round) in zip(rounds, rounds.dropFirst()) where !round.startsStage {
            XCTAssertGreaterThan(round.logLikelihood, previous.logLikelihood)
            XCTAssertLessThanOrEqual(round.pieceCount, previous.pieceCount)
        }
        for (previous, round) in zip(rounds, rounds.dropFirst()) where round.startsStage {
            XCTAssertLessThan(round.pieceCount, previous.pieceCount)
        }
        XCTAssertTrue(rounds.allSatisfy { $0.logLikelihood < 0 })
        // The digamma update is not a pure maximum-likelihood step: once EM has converged, more
        // steps move the likelihood by no more than rounding-size amounts either way.
        var longer = trainer(200)
        longer.subIterations = 5
        let more = try longer.train(files: [Fixtures.corpus]).rounds
        for (previous, round) in zip(more, more.dropFirst()) where !round.startsStage {
            XCTAssertGreaterThan(round.logLikelihood, previous.logLikelihood - 1e-5 * abs(previous.logLikelihood))
        }
    }

    func testWordsAreCutAsSentencePieceUnigramTokenizerCutsThem() {
        XCTAssertEqual(trainer().words(in: "Ein  Mann\tläuft ▁ﬁsh½"), ["▁Ein", "▁Mann", "▁läuft", "▁fish1⁄2"])
        XCTAssertEqual(trainer().words(in: ""), [])
        XCTAssertEqual(trainer().words(in: " a "), ["▁a", "▁"])
    }

    func testTokenizerJSON() throws {
        let vocabulary = try trainer(300).train(files: [Fixtures.corpus])
        let root = try JSONValue.parse(vocabulary.jsonDocument())
        XCTAssertEqual(root["model"]?["type"]?.string, "Unigram")
        XCTAssertEqual(root["model"]?["unk_id"]?.double, 3)
        let vocab = root["model"]?["vocab"]?.array ?? []
        XCTAssertEqual(vocab.count, 300)
        XCTAssertEqual(vocab[3].array?.first?.string, "<unk>")
        for (entry, piece) in zip(vocab, vocabulary.pieces) {
            XCTAssertEqual(entry.array?.first?.string, piece.piece)
            XCTAssertEqual(entry.array?.last?.double, piece.score)
        }
        XCTAssertEqual(root["pre_tokenizer"]?["type"]?.string, "Metaspace")
        XCTAssertEqual(root["pre_tokenizer"]?["prepend_scheme"]?.string, "always")
        XCTAssertEqual(root["decoder"]?["type"]?.string, "Metaspace")
        XCTAssertEqual(root["normalizer"]?["normalizers"]?.array?.compactMap { $0["type"]?.string }, ["Nmt", "NFKC", "Replace"])
        XCTAssertEqual(root["post_processor"]?["single"]?.array?.first?["SpecialToken"]?["id"]?.string, "<bos>")
    }

    func testBadOptionsAreClearErrors() throws {
        func message(_ t: UnigramTrainer, _ files: [String]) -> String {
            do { _ = try t.train(files: files); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(trainer(50), [Fixtures.corpus]).contains("vocabulary size 50 is below"), message(trainer(50), [Fixtures.corpus]))
        XCTAssertTrue(message(trainer(4), [Fixtures.corpus]).contains("no room"))
        XCTAssertTrue(message(trainer(5000), [Fixtures.corpus]).contains("too large for this corpus"))
        XCTAssertTrue(message(trainer(), []).contains("no input files"))
        XCTAssertTrue(message(trainer(), [try temporaryFile("\n\n\n")]).contains("no words"))
        XCTAssertTrue(message(trainer(), ["/nonexistent/corpus.txt"]).hasPrefix("/nonexistent/corpus.txt: "))
        var coverage = trainer()
        coverage.characterCoverage = 0
        XCTAssertTrue(message(coverage, [Fixtures.corpus]).contains("character coverage"))
        var noUnk = trainer()
        noUnk.specialTokens = SpecialTokens(inIDOrder: ["<pad>", "<bos>", "<eos>"], pad: "<pad>", bos: "<bos>", eos: "<eos>", unk: "<unk>")
        XCTAssertTrue(message(noUnk, [Fixtures.corpus]).contains("special tokens"))
        var clash = trainer(600)
        clash.byteFallback = true
        clash.specialTokens = SpecialTokens(additional: ["<0x41>"])
        XCTAssertTrue(message(clash, [Fixtures.corpus]).contains("clashes with a byte piece"))
    }
}
