// The model options the experiments need, as ordinary options: `scale_attention` false (scores
// not divided by √d_k) and `residual` false (no residual connections) change the model, pass
// gradient checks, decode with the KV cache as the full pass computes, save and load, and are
// refused by export formats that cannot express them.
import Foundation
import XCTest
import Checkpoints
import Models

final class ExperimentOptionsTests: XCTestCase {
    func config(scaled: Bool, residual: Bool, normFirst: Bool = false) -> TransformerConfig {
        var c = TransformerConfig()
        c.family = .decoderOnly
        (c.dModel, c.heads, c.ff, c.decoderLayers, c.srcVocab, c.tgtVocab, c.maxLen, c.dropout) = (8, 2, 12, 2, 11, 11, 16, 0)
        c.scaleAttention = scaled
        c.residual = residual
        c.normFirst = normFirst
        c.activation = .gelu   // smooth: finite differences do not straddle ReLU's kink
        return c
    }

    let ids = Tensor(ints: [1, 4, 7, 3, 9, 2], shape: [1, 6])

    func testOptionsChangeTheModelAndPassGradientChecks() throws {
        let reference = withNoGrad { (try! DecoderOnlyModel(config: config(scaled: true, residual: true), seed: 4))(ids) }.scalars
        for (scaled, residual, normFirst) in [(false, true, false), (true, false, false), (false, false, true)] {
            let what = "scale_attention \(scaled), residual \(residual), norm_first \(normFirst)"
            let model = try DecoderOnlyModel(config: config(scaled: scaled, residual: residual, normFirst: normFirst), seed: 4)
            XCTAssertNotEqual(withNoGrad { model(ids) }.scalars, reference, what)
            let layer = model.decoder.layers[1]
            guard case .multiHead(let attention) = layer.attentionKind else { return XCTFail("MHA expected") }
            let result = GradientCheck.check([attention.query.weight, attention.key.weight, layer.feedForward.parameters()[0]], h: 1e-2) { _ in
                model(self.ids)
            }
            XCTAssertTrue(result.passed, "\(what): \(result)")
        }
    }

    func testCachedDecodingMatchesTheFullPass() throws {
        for attention in [AttentionKind.mha, .mla] {
            var c = config(scaled: false, residual: false)
            c.attention = attention
            (c.mlaLatent, c.mlaRopeDim) = (6, 2)
            let model = try DecoderOnlyModel(config: c, seed: 2)
            assertCachedDecodingMatchesTheFullPass(model, ids, "\(attention)")
        }
    }

    func testKeysSaveLoadAndExportRefusal() throws {
        let c = config(scaled: false, residual: false)
        let json = String(decoding: try c.jsonData(), as: UTF8.self)
        XCTAssertTrue(json.contains(#""scale_attention" : false"#) && json.contains(#""residual" : false"#), json)
        let old = try JSONDecoder().decode(TransformerConfig.self, from: Data(#"{"d_model": 16, "heads": 2}"#.utf8))
        XCTAssertTrue(old.scaleAttention && old.residual, "missing keys keep the paper's model")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("options-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let model = try DecoderOnlyModel(config: c, seed: 6)
        try ModelDirectory.save(model, config: c, to: dir, format: .f32, layout: .native)
        let loaded = try ModelDirectory.load(dir)
        XCTAssertEqual(loaded.config, c)
        guard case .decoderOnly(let back) = loaded.model else { return XCTFail("decoder-only expected") }
        XCTAssertEqual(withNoGrad { back(ids) }.scalars, withNoGrad { model(ids) }.scalars)

        var ed = c
        ed.family = .encoderDecoder
        ed.encoderLayers = 1
        for (key, edit) in [("scale_attention", { (x: inout TransformerConfig) in x.residual = true }),
                            ("residual", { (x: inout TransformerConfig) in x.scaleAttention = true })] {
            var e = ed
            edit(&e)
            XCTAssertThrowsError(try PyTorchLayout.check(e)) { XCTAssertTrue("\($0)".contains(key), "\($0)") }
            XCTAssertThrowsError(try HubExport.architecture(for: e)) { XCTAssertTrue("\($0)".contains(key), "\($0)") }
        }
    }
}

/// Decoding `ids` [1, T] one token at a time with the KV cache gives, at every position, the logits
/// of the full pass (the model put in inference mode).
func assertCachedDecodingMatchesTheFullPass(_ model: DecoderOnlyModel, _ ids: Tensor, _ what: String,
                                            file: StaticString = #filePath, line: UInt = #line) {
    model.train(false)
    let full = withNoGrad { model(ids) }
    let vocabulary = full.shape[full.rank - 1]
    let state = model.startDecoding(rows: 1, capacity: ids.count + 2)
    for (t, id) in ids.intScalars.enumerated() {
        let step = withNoGrad { model.decodeStep(Tensor(ints: [id], shape: [1, 1]), state: state) }
        for v in 0..<vocabulary {
            XCTAssertEqual(step.data[v], full.data[t * vocabulary + v], accuracy: 1e-4, "\(what) position \(t)", file: file, line: line)
        }
    }
}
