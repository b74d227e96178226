// `length_head` as an ordinary model option: a classifier over target lengths from the pooled
// encoder output, trained jointly, saved and loaded, refused by the export formats, and — with
// `TranslationOptions.lengthWindow` — stopping each translation at its predicted length, the same
// alone or in a batch.
import Foundation
import XCTest
import Checkpoints
import Generation
import Models
import Training

final class LengthHeadOptionTests: XCTestCase {
    func config() -> TransformerConfig {
        var c = TransformerConfig()
        (c.dModel, c.heads, c.ff, c.encoderLayers, c.decoderLayers, c.srcVocab, c.tgtVocab, c.maxLen, c.dropout) = (8, 2, 12, 1, 1, 13, 13, 12, 0)
        c.activation = .gelu
        c.lengthHead = true
        return c
    }

    func testHeadTrainsWithTheModel() throws {
        let model = try EncoderDecoderModel(config: config(), seed: 5)
        XCTAssertEqual(model.parameterCount, try ModelSummary(config: config()).totalParameters)
        let head = try XCTUnwrap(model.lengthPredictor)
        // Two sources of different lengths (one padded), targets of lengths 3 and 5 with <eos>.
        let source = Tensor(ints: [4, 5, 6, 2, 7, 8, 2, 0], shape: [2, 4])
        let targetIn = Tensor(ints: [1, 9, 10, 0, 0, 1, 11, 4, 5, 6], shape: [2, 5])
        let targets = Tensor(ints: [9, 10, 2, 0, 0, 11, 4, 5, 6, 2], shape: [2, 5])
        XCTAssertEqual(LengthPredictor.lengths(targets: targets, padId: 0, maxLength: 12).intScalars, [3, 5])
        let result = GradientCheck.check([head.classifier.weight, head.classifier.bias!, model.encoder.layers[0].feedForward.parameters()[0]],
                                         h: 1e-2) { _ in
            try! XCTUnwrap(model.trainingOutputs(source: source, targetIn: targetIn, targets: targets).lengthLoss)
        }
        XCTAssertTrue(result.passed, "\(result)")
        // Pooling skips padding: the padded sentence's pooled vector is its own, alone or batched.
        model.train(false)
        let alone = withNoGrad { () -> [Int] in
            let (m, p) = model.encode(Tensor(ints: [7, 8, 2], shape: [1, 3]))
            return model.predictLengths(memory: m, padding: p) ?? []
        }
        let batched = withNoGrad { () -> [Int] in
            let (m, p) = model.encode(source)
            return model.predictLengths(memory: m, padding: p) ?? []
        }
        XCTAssertEqual(batched.count, 2)
        XCTAssertEqual(batched[1], alone.first)
    }

    func testLengthWindowStopsAtThePrediction() throws {
        let model = try EncoderDecoderModel(config: config(), seed: 8)
        model.train(false)
        let sources: [[Int32]] = [[4, 5, 6, 2], [7, 8, 2], [9, 10, 11, 12, 2]]
        var options = TranslationOptions()
        options.beamSize = 1
        options.lengthWindow = 0
        let predicted = sources.map { s -> Int in
            let (m, p) = withNoGrad { model.encode(Tensor(ints: s, shape: [1, s.count])) }
            return model.predictLengths(memory: m, padding: p)![0]
        }
        for beam in [1, 3] {
            options.beamSize = beam
            let together = Translator(model: model, options: options).translate(sources)
            for (i, s) in sources.enumerated() {
                let cap = Translator(model: model, options: options).maxLength(sourceLength: s.count)
                let hypothesis = try XCTUnwrap(together[i].first)
                XCTAssertEqual(hypothesis.tokens.count, min(max(1, predicted[i]), cap), "beam \(beam) sentence \(i)")
                XCTAssertEqual(hypothesis.tokens.last, 2, "ends with <eos>")
                XCTAssertEqual(Translator(model: model, options: options).translate([s])[0], together[i], "alone = batched")
            }
        }
    }

    func testSaveLoadAndExportRefusal() throws {
        let c = config()
        let model = try EncoderDecoderModel(config: c, seed: 6)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lengthhead-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try ModelDirectory.save(model, config: c, to: dir, format: .f32, layout: .native)
        let loaded = try ModelDirectory.load(dir)
        XCTAssertTrue(loaded.config.lengthHead)
        guard case .encoderDecoder(let back) = loaded.model else { return XCTFail("encoder-decoder expected") }
        XCTAssertEqual(back.lengthPredictor?.classifier.weight.scalars, model.lengthPredictor?.classifier.weight.scalars)
        XCTAssertThrowsError(try PyTorchLayout.check(c)) { XCTAssertTrue("\($0)".contains("length_head"), "\($0)") }
        XCTAssertThrowsError(try HubExport.architecture(for: c)) { XCTAssertTrue("\($0)".contains("length_head"), "\($0)") }
        var lm = c
        lm.family = .decoderOnly
        XCTAssertThrowsError(try lm.validate()) { XCTAssertTrue("\($0)".contains("length_head"), "\($0)") }
    }
}
