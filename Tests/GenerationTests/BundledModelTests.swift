// The bundled German→English model (models/multi30k-de-en, docs/RESULTS.md) loads from the
// repository as committed and translates: content words of a few sentences written for this test
// (not taken from the training data) come out, greedy and beam search, alone and batched, with its
// weights in float32, bfloat16 and int8. The bundled character-level language model
// (models/shakespeare-char) finds verse written for this test far likelier than its characters
// shuffled, and samples on past its 64 positions.
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

    static let languageModel = directory.deletingLastPathComponent().appendingPathComponent("shakespeare-char")

    func testBundledLanguageModelPrefersVerseToItsCharactersShuffled() throws {
        let bundle = try ModelBundle(directory: BundledModelTests.languageModel.path)
        let model = try bundle.decoderOnly(for: "test")
        let tokenizer = try bundle.requireTokenizer(for: "test")
        func nll(_ text: String) -> Double {
            let ids = tokenizer.encode(text)
            let input = Tensor(ints: Array(ids.dropLast()), shape: [1, ids.count - 1])
            let targets = Tensor(ints: Array(ids.dropFirst()), shape: [1, ids.count - 1])
            return withNoGrad {
                let out = model.targetLogits(input, targets: targets)
                return Double(model.loss(logits: out.logits, targets: out.targets, labelSmoothing: 0).item())
            }
        }
        let verse = "What say you, good my lord? Speak to the king,\nAnd tell me"
        var g = RandomGenerator(seed: 1)
        var shuffled = Array(verse)
        for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, g.nextInt(below: i + 1)) }
        let (good, noise) = (nll(verse), nll(String(shuffled)))
        XCTAssertLessThan(good, 2.3, "nats per character on verse")
        XCTAssertLessThan(good + 1, noise, "verse \(good) vs shuffled \(noise)")

        var sampler = Sampler(temperature: 0.8, seed: 3)
        let prompt = try bundle.promptIDs("ROMEO:", limit: InputLengthLimit(maxTokens: 64)).ids
        XCTAssertEqual(prompt, tokenizer.encode("ROMEO:"), "no <bos> before a character-level prompt")
        let out = LanguageModelGeneration.run(model: model, prompt: prompt, maxNewTokens: 150, sampler: &sampler,
                                              stopTokens: bundle.stopTokens, slidingWindow: true)
        XCTAssertEqual(out.count, 150)
        XCTAssertTrue(tokenizer.decode(out).contains(" "))
    }
}
