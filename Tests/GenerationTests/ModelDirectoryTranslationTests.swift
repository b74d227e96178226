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
}
