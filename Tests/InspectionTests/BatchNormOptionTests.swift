// `norm: batch_norm` as an ordinary model option: statistics over the batch's non-padding tokens
// in training, running averages in inference; gradient checks through the model, cached decoding
// as the full pass, running averages saved and loaded, refused by the export formats.
import Foundation
import XCTest
import Checkpoints
import Models

final class BatchNormOptionTests: XCTestCase {
    func config() -> TransformerConfig {
        var c = TransformerConfig()
        c.family = .decoderOnly
        (c.dModel, c.heads, c.ff, c.decoderLayers, c.srcVocab, c.tgtVocab, c.maxLen, c.dropout) = (8, 2, 12, 2, 11, 11, 16, 0)
        c.norm = .batchNorm
        c.activation = .gelu
        return c
    }

    func norm(_ model: DecoderOnlyModel) throws -> BatchNorm {
        try XCTUnwrap(model.decoder.layers[0].selfAttentionAddNorm.norm as? BatchNorm)
    }

    func testTrainingUsesTheBatchsRealTokensAndUpdatesRunningAverages() throws {
        let model = try DecoderOnlyModel(config: config(), seed: 3)
        let bn = try norm(model)
        XCTAssertEqual(model.parameterCount, try ModelSummary(config: config()).totalParameters, "running averages are not parameters")
        // More padding on the same tokens changes nothing: the statistics skip padding.
        let short = Tensor(ints: [1, 4, 7, 3, 9, 5, 6, 0, 0], shape: [3, 3])
        let long = Tensor(ints: [1, 4, 7, 0, 3, 9, 5, 0, 6, 0, 0, 0], shape: [3, 4])
        let targets = { (t: Tensor) in Tensor(ints: t.intScalars.map { $0 == 0 ? 0 : ($0 % 10) + 1 }, shape: t.shape) }
        let a = withNoGrad { model.targetLogits(short, targets: targets(short)).logits }
        let before = bn.runningMean.scalars
        let b = withNoGrad { model.targetLogits(long, targets: targets(long)).logits }
        XCTAssertEqual(a.shape, b.shape)
        for i in 0..<a.count { XCTAssertEqual(a.data[i], b.data[i], accuracy: 1e-5) }
        XCTAssertNotEqual(bn.runningMean.scalars, before, "a training pass moves the running averages")
        // Another batch of other sentences gives the same first sentence other outputs in training.
        let other = Tensor(ints: [1, 4, 7, 3, 2, 2, 2, 2], shape: [2, 4])
        let c = withNoGrad { model.targetLogits(other, targets: targets(other)).logits }
        XCTAssertNotEqual(Array(c.scalars.prefix(3 * 11)), Array(a.scalars.prefix(3 * 11)))

        model.train(false)
        let frozen = bn.runningMean.scalars
        let ids = Tensor(ints: [1, 4, 7, 3, 9, 2], shape: [1, 6])
        let alone = withNoGrad { model(ids) }
        XCTAssertEqual(bn.runningMean.scalars, frozen, "inference leaves the running averages alone")
        let batched = withNoGrad { model(Tensor(ints: [1, 4, 7, 3, 9, 2, 5, 5, 5, 5, 5, 5], shape: [2, 6])) }
        XCTAssertEqual(Array(batched.scalars.prefix(alone.count)), alone.scalars, "in inference a sentence's output is its own")
    }

    func testGradientsAndCachedDecoding() throws {
        let model = try DecoderOnlyModel(config: config(), seed: 4)
        let ids = Tensor(ints: [1, 4, 7, 3, 9, 2, 5, 8], shape: [2, 4])
        let layer = model.decoder.layers[1]
        let bn = try XCTUnwrap(layer.feedForwardAddNorm.norm as? BatchNorm)
        let result = GradientCheck.check([bn.weight, bn.bias, layer.feedForward.parameters()[0]], h: 1e-2) { _ in
            model.targetLogits(ids, targets: ids).logits
        }
        XCTAssertTrue(result.passed, "\(result)")

        assertCachedDecodingMatchesTheFullPass(model, Tensor(ints: [1, 4, 7, 3, 9, 2], shape: [1, 6]), "batch_norm")
    }

    func testRunningAveragesSaveLoadAndExportRefusal() throws {
        let c = config()
        let model = try DecoderOnlyModel(config: c, seed: 6)
        let ids = Tensor(ints: [1, 4, 7, 3, 9, 2], shape: [1, 6])
        _ = withNoGrad { model.targetLogits(ids, targets: ids) }   // moves the running averages off 0 and 1
        model.train(false)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("batchnorm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try ModelDirectory.save(model, config: c, to: dir, format: .f32, layout: .native)
        let loaded = try ModelDirectory.load(dir)
        XCTAssertEqual(loaded.config.norm, .batchNorm)
        guard case .decoderOnly(let back) = loaded.model else { return XCTFail("decoder-only expected") }
        XCTAssertEqual(try norm(back).runningVariance.scalars, try norm(model).runningVariance.scalars)
        back.train(false)
        XCTAssertEqual(withNoGrad { back(ids) }.scalars, withNoGrad { model(ids) }.scalars)

        var ed = c
        ed.family = .encoderDecoder
        ed.encoderLayers = 1
        XCTAssertThrowsError(try PyTorchLayout.check(ed)) { XCTAssertTrue("\($0)".contains("batch_norm"), "\($0)") }
        XCTAssertThrowsError(try HubExport.architecture(for: c)) { XCTAssertTrue("\($0)".contains("batch_norm"), "\($0)") }
    }
}
