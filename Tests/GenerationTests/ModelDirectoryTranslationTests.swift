// End to end through a model directory, as `transformer translate` uses it: a tokenizer trained
// on a tiny text, a small random model saved with it, loaded back, and lines translated in order.
import Foundation
import XCTest
import Checkpoints
import Generation
import Models
import Tokenization

final class ModelDirectoryTranslationTests: XCTestCase {
    func testTranslateThroughAModelDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("generation-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let text = dir.appendingPathComponent("text.txt")
        try String(repeating: "a small dog runs on the grass .\nzwei Hunde spielen im Schnee .\n", count: 20)
            .write(to: text, atomically: true, encoding: .utf8)
        let tokenizer = try Tokenizer.train(files: [text.path], vocabSize: 300)
        let tokenizerFile = dir.appendingPathComponent("tokenizer.json")
        try tokenizer.save(to: tokenizerFile.path)

        var c = TestModels.config(.encoderDecoder)
        c.srcVocab = tokenizer.vocabSize; c.tgtVocab = tokenizer.vocabSize; c.shareEmbeddings = true
        c.bosId = Int(tokenizer.bosID ?? 1); c.eosId = Int(tokenizer.eosID ?? 2); c.padId = Int(tokenizer.padID ?? 0)
        let model = try EncoderDecoderModel(config: c, seed: 4)
        let modelDir = dir.appendingPathComponent("model")
        try ModelDirectory.save(model, config: c, to: modelDir, tokenizer: tokenizerFile)

        guard case .encoderDecoder(let loaded) = try ModelDirectory.load(modelDir).model else { return XCTFail("family") }
        let translator = Translator(model: loaded)
        translator.options.maxLengthB = 8
        let lines = ["a dog runs .", "zwei Hunde", "the grass"]
        let sources = lines.map { loaded.sourceSequence(tokenizer.encode($0)) }
        let first = translator.translate(sources)
        XCTAssertEqual(first.count, 3)
        // The loaded model decodes as the original does.
        let original = Translator(model: model, options: translator.options).translate(sources)
        XCTAssertEqual(first.map { $0.map(\.tokens) }, original.map { $0.map(\.tokens) })
        for (source, out) in zip(sources, first) {
            XCTAssertLessThanOrEqual(out[0].tokens.count, translator.maxLength(sourceLength: source.count))
            XCTAssertFalse(out[0].content(eos: Int32(c.eosId)).contains(Int32(c.eosId)))
        }
    }

    func testSearchDefaultsComeFromTheDirectorysGenerationConfig() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("generation-defaults-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = TestModels.config(.encoderDecoder)
        try ModelDirectory.save(try EncoderDecoderModel(config: c, seed: 2), config: c, to: dir, tokenizer: nil)
        let ours = try ModelBundle(directory: dir.path, tokenizer: false).translationDefaults
        XCTAssertEqual([ours.beamSize], [4])
        XCTAssertEqual(ours.lengthPenalty, 0.6)
        XCTAssertEqual(ours.lengthNormalization, .gnmt)
        XCTAssertEqual(ours.beamStopping, .beamsFinished)

        let file = dir.appendingPathComponent("generation_config.json")
        try Data(#"{"num_beams": 5, "length_penalty": 1.2, "max_length": 7}"#.utf8).write(to: file)
        let tuned = try ModelBundle(directory: dir.path, tokenizer: false).translationDefaults
        XCTAssertEqual(tuned.beamSize, 5)
        XCTAssertEqual(tuned.lengthPenalty, 1.2)
        XCTAssertEqual(tuned.lengthNormalization, .power, "transformers' meaning of length_penalty")
        XCTAssertEqual(tuned.beamStopping, .noBetterHypothesis, "transformers' early_stopping false")
        XCTAssertEqual(tuned.maxLengthB, ours.maxLengthB, "only the search settings apply to our directories")

        try Data(#"{"early_stopping": true}"#.utf8).write(to: file)
        let early = try ModelBundle(directory: dir.path, tokenizer: false).translationDefaults
        XCTAssertEqual(early.beamStopping, .beamsFinished)
        XCTAssertEqual(early.lengthNormalization, .gnmt)

        try Data(#"{"num_beams": 0}"#.utf8).write(to: file)
        XCTAssertThrowsError(try ModelBundle(directory: dir.path, tokenizer: false)) {
            XCTAssertTrue("\($0)".contains("num_beams") && "\($0)".contains("generation_config.json"), "\($0)")
        }
    }
}
