// The bundled German→English model (models/multi30k-de-en, docs/RESULTS.md) loads from the
// repository as committed and translates: content words of a few sentences written for this test
// (not taken from the training data) come out, greedy and beam search, alone and batched, with its
// weights in float32, bfloat16 and int8.
import Foundation
import XCTest
import Checkpoints
import Generation
import Models
import Tokenization

final class BundledModelTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models/multi30k-de-en")

    static let cases: [(german: String, english: [String])] = [
        ("Ein Hund läuft durch den Schnee.", ["dog", "snow"]),
        ("Eine Frau sitzt auf einer Bank.", ["woman", "bench"]),
        ("Zwei Kinder spielen am Strand.", ["children", "beach"]),
        ("Ein Mann fährt Fahrrad auf der Straße.", ["man", "street"]),
    ]

    func testBundledModelTranslates() throws {
        for precision in InferencePrecision.allCases { try checkTranslates(precision) }
    }

    func checkTranslates(_ precision: InferencePrecision) throws {
        let dir = BundledModelTests.directory
        let loaded = try ModelDirectory.load(dir, precision: precision)
        guard case .encoderDecoder(let model) = loaded.model else { return XCTFail("the bundled model is not encoder-decoder") }
        let tokenizer = try Tokenizer(contentsOfFile: dir.appendingPathComponent("tokenizer.json").path)
        let sources = BundledModelTests.cases.map { model.sourceSequence(tokenizer.encode($0.german)) }
        for beam in [1, 5] {
            var options = TranslationOptions()
            options.beamSize = beam
            let translator = Translator(model: model, options: options)
            let batched = translator.translate(sources)
            for (i, (german, words)) in BundledModelTests.cases.enumerated() {
                let text = tokenizer.decode(batched[i][0].content(eos: Int32(loaded.config.eosId)), skipSpecial: true)
                for word in words {
                    XCTAssertTrue(text.lowercased().contains(word), "\(precision) beam \(beam): '\(german)' → '\(text)' lacks '\(word)'")
                }
                // Alone, the same tokens as in the batch.
                XCTAssertEqual(translator.translate([sources[i]])[0][0].tokens, batched[i][0].tokens, "\(precision) beam \(beam): \(german)")
            }
        }
    }

    /// Shipped small: every weight in 16 bits, or int8 (with float32 scales, biases and norms).
    func testBundledWeightsAreCompact() throws {
        let file = try SafetensorsFile(path: BundledModelTests.directory.appendingPathComponent("weights.safetensors").path)
        XCTAssertFalse(file.entries.isEmpty)
        let int8 = Set(file.entries.filter { $0.dtype == .i8 }.map(\.name))
        for t in file.entries where !int8.contains(t.name) {
            let beside = t.name.hasSuffix(Int8Weights.scaleSuffix) && int8.contains(String(t.name.dropLast(Int8Weights.scaleSuffix.count)))
            let small = t.shape.count == 1   // biases and norm gains stay float32 beside int8 weights
            XCTAssertTrue(t.dtype == .f16 || t.dtype == .bf16 || (!int8.isEmpty && t.dtype == .f32 && (beside || small)),
                          "\(t.name) is \(t.dtype) \(t.shape)")
        }
    }
}
