// Configs (JSON, presets, validation) and the three model families end to end.
import Foundation
import XCTest
import Models

final class ModelTests: XCTestCase {
    func tinyConfig(_ family: ModelFamily) -> TransformerConfig {
        var c = try! TransformerConfig.preset("tiny")
        c.family = family
        c.dModel = 16; c.heads = 2; c.ff = 24; c.encoderLayers = 1; c.decoderLayers = 1
        c.srcVocab = 20; c.tgtVocab = 20; c.maxLen = 32
        return c
    }

    func testPresets() throws {
        let base = try TransformerConfig.preset("paper-base")
        XCTAssertEqual([base.dModel, base.heads, base.encoderLayers, base.ff], [512, 8, 6, 2048])
        XCTAssertFalse(base.normFirst)
        XCTAssertEqual(base.dropout, 0.1)
        let big = try TransformerConfig.preset("paper-big")
        XCTAssertEqual([big.dModel, big.heads, big.ff], [1024, 16, 4096])
        XCTAssertEqual(big.dropout, 0.3)
        XCTAssertEqual(try TransformerConfig.preset("small").dModel, 256)
        XCTAssertEqual(try TransformerConfig.preset("tiny").encoderLayers, 2)
        XCTAssertThrowsError(try TransformerConfig.preset("huge")) { XCTAssertTrue("\($0)".contains("unknown preset 'huge'")) }
    }

    func testReferenceLayoutConfigDecodesAndRoundTrips() throws {
        let json = """
        {"d_model": 24, "heads": 4, "encoder_layers": 2, "decoder_layers": 1, "ff": 40, "src_vocab": 29,
         "tgt_vocab": 31, "activation": "gelu", "layer_norm_eps": 1e-6, "norm_first": true, "max_len": 64,
         "pad_id": 0, "bos_id": 1, "eos_id": 2, "label_smoothing": 0.1, "something_else": [1, 2]}
        """
        let c = try JSONDecoder().decode(TransformerConfig.self, from: Data(json.utf8))
        XCTAssertEqual(c.dModel, 24)
        XCTAssertEqual(c.activation, .gelu)
        XCTAssertTrue(c.normFirst)
        XCTAssertEqual(c.layerNormEps, 1e-6)
        XCTAssertNoThrow(try c.validate())
        let again = try JSONDecoder().decode(TransformerConfig.self, from: try c.jsonData())
        XCTAssertEqual(again, c)
    }

    func testActivationDropoutIsItsOwnSettingAndDefaultsToDropout() throws {
        var c = tinyConfig(.encoderDecoder)
        c.dropout = 0.3
        let plain = try EncoderDecoderModel(config: c, seed: 1)
        XCTAssertEqual(plain.encoder.layers[0].feedForward.dropout.probability, 0.3)
        XCTAssertFalse(String(decoding: try c.jsonData(), as: UTF8.self).contains("activation_dropout"),
                       "left unset, it is not written (other configs keep their bytes)")
        c.activationDropout = 0.05
        let own = try EncoderDecoderModel(config: c, seed: 1)
        XCTAssertEqual(own.encoder.layers[0].feedForward.dropout.probability, 0.05)
        XCTAssertEqual(own.encoder.layers[0].feedForwardAddNorm.dropout.probability, 0.3, "the residual dropout stays")
        XCTAssertEqual(try JSONDecoder().decode(TransformerConfig.self, from: try c.jsonData()).activationDropout, 0.05)
        c.activationDropout = 1
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("activation_dropout"), "\($0)") }
    }

    func testValidationNamesTheKey() throws {
        var c = tinyConfig(.encoderDecoder)
        c.heads = 3
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("heads (3)"), "\($0)") }
        c = tinyConfig(.encoderDecoder); c.dropout = 1.5
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("dropout"), "\($0)") }
        c = tinyConfig(.encoderDecoder); c.eosId = 99
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("eos_id (99)"), "\($0)") }
        let bad = Data(#"{"d_model": "wide"}"#.utf8)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bad-config-\(getpid()).json")
        try bad.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try TransformerConfig.load(from: url)) {
            XCTAssertTrue("\($0)".contains(url.path) && "\($0)".contains("d_model"), "\($0)")
        }
    }

    func testSharedAndTiedEmbeddings() throws {
        var c = tinyConfig(.encoderDecoder)
        c.shareEmbeddings = true; c.tieOutput = true
        let m = try EncoderDecoderModel(config: c)
        XCTAssertTrue(m.sourceEmbedding.tokens.weight === m.targetEmbedding.tokens.weight)
        XCTAssertNil(m.generator)
        let names = m.namedParameters().map(\.name)
        XCTAssertEqual(names.filter { $0.hasSuffix("tokens.weight") }.count, 1, "a shared tensor is listed once")
    }

    func testEveryFamilyTrainsOnAToyBatch() throws {
        // A few Adam-free SGD steps on a fixed batch must lower the loss for every family and variant.
        var variants: [(String, TransformerConfig)] = []
        for family in ModelFamily.allCases { variants.append((family.rawValue, tinyConfig(family))) }
        var v = tinyConfig(.decoderOnly); v.attention = .mla; v.mlaLatent = 8; v.mlaRopeDim = 4; v.positional = .rope
        variants.append(("mla+rope", v))
        v = tinyConfig(.encoderDecoder); v.attention = .gqa; v.heads = 4; v.kvHeads = 2; v.positional = .alibi; v.normFirst = true; v.norm = .rmsNorm
        variants.append(("gqa+alibi+preln+rms", v))
        v = tinyConfig(.decoderOnly); v.attention = .mqa; v.activation = .swiglu; v.positional = .learned; v.tieOutput = true
        variants.append(("mqa+swiglu+learned+tied", v))
        v = tinyConfig(.encoderOnly); v.positional = .learned; v.typeVocab = 2; v.embeddingNorm = true; v.scaleEmbedding = false
        v.finalNorm = false; v.activation = .geluTanh; v.outputTransform = true; v.tieOutput = true; v.outputBias = true
        variants.append(("bert-like", v))
        v = tinyConfig(.encoderDecoder); v.sinusoidalLayout = .halves; v.activation = .silu; v.finalNorm = false
        v.shareEmbeddings = true; v.tieOutput = true; v.outputBias = true; v.decoderStartId = 0
        variants.append(("marian-like", v))
        let ids = Tensor(ints: [1, 5, 6, 7, 8, 2, 1, 9, 10, 2, 0, 0], shape: [2, 6])
        let targets = Tensor(ints: [5, 6, 7, 8, 2, 0, 9, 10, 2, 0, 0, 0], shape: [2, 6])
        for (name, c) in variants {
            var c = c
            c.dropout = 0
            let model: Module, step: () -> Tensor
            switch c.family {
            case .encoderDecoder:
                let m = try EncoderDecoderModel(config: c, seed: 3)
                model = m; step = { m.loss(logits: m(source: ids, targetIn: ids), targets: targets) }
            case .decoderOnly:
                let m = try DecoderOnlyModel(config: c, seed: 3)
                model = m; step = { m.loss(logits: m(ids), targets: targets) }
            case .encoderOnly:
                let m = try EncoderOnlyModel(config: c, seed: 3)
                model = m; step = { m.loss(logits: m(ids), targets: targets) }
            }
            var losses: [Float] = []
            for _ in 0..<8 {
                model.zeroGrad()
                let loss = step()
                losses.append(loss.item())
                loss.backward()
                for p in model.parameters() { if let g = p.grad { Kernels.addInPlace(p, Kernels.affine(g, scale: -0.05, shift: 0)) } }
            }
            XCTAssertTrue(losses.allSatisfy(\.isFinite), "\(name): \(losses)")
            XCTAssertLessThan(losses.last!, losses.first! - 0.1, "\(name): \(losses)")
        }
    }

    /// Training runs the layers and the output layer on non-padding positions only; its loss
    /// equals the loss over all logits with padding ignored, and so do the gradients of every
    /// parameter (tied and untied output layers, every attention variant and position encoding).
    func testTargetRowsGiveTheFullLossAndGradients() throws {
        let ids = Tensor(ints: [1, 5, 6, 7, 8, 2, 1, 9, 10, 2, 0, 0], shape: [2, 6])
        let targets = Tensor(ints: [5, 6, 7, 8, 2, 0, 9, 10, 2, 0, 0, 0], shape: [2, 6])
        var variants: [(String, TransformerConfig)] = []
        for family in [ModelFamily.encoderDecoder, .decoderOnly] { variants.append((family.rawValue, tinyConfig(family))) }
        var v = tinyConfig(.encoderDecoder); v.tieOutput = true; v.shareEmbeddings = true
        variants.append(("tied", v))
        v = tinyConfig(.decoderOnly); v.attention = .mla; v.mlaLatent = 8; v.mlaRopeDim = 4; v.positional = .rope
        variants.append(("mla+rope", v))
        v = tinyConfig(.encoderDecoder); v.attention = .gqa; v.heads = 4; v.kvHeads = 2; v.positional = .alibi; v.normFirst = true; v.norm = .rmsNorm
        variants.append(("gqa+alibi+preln+rms", v))
        v = tinyConfig(.encoderDecoder); v.positional = .rope; v.activation = .swiglu
        variants.append(("rope+swiglu", v))
        v = tinyConfig(.encoderDecoder); v.sinusoidalLayout = .halves; v.activation = .silu; v.finalNorm = false
        v.shareEmbeddings = true; v.tieOutput = true; v.outputBias = true; v.scaleEmbedding = false
        variants.append(("marian-like", v))
        for (name, config) in variants {
            var c = config
            c.dropout = 0
            let (family, tied) = (name, c.tieOutput)
            let model: Module, full: () -> Tensor, rows: () -> (logits: Tensor, targets: Tensor)
            if c.family == .encoderDecoder {
                let m = try EncoderDecoderModel(config: c, seed: 5)
                model = m
                full = { m.loss(logits: m(source: ids, targetIn: ids), targets: targets) }
                rows = { m.targetLogits(source: ids, targetIn: ids, targets: targets) }
            } else {
                let m = try DecoderOnlyModel(config: c, seed: 5)
                model = m
                full = { m.loss(logits: m(ids), targets: targets) }
                rows = { m.targetLogits(ids, targets: targets) }
            }
            let kept = rows()
            XCTAssertEqual(kept.logits.shape, [8, c.tgtVocab])
            XCTAssertEqual(kept.targets.intScalars, [5, 6, 7, 8, 2, 9, 10, 2])
            model.zeroGrad()
            let want = full()
            want.backward()
            let wantGrads = model.parameters().map { $0.grad?.scalars ?? [] }
            model.zeroGrad()
            let got = languageModelLoss(logits: kept.logits, targets: kept.targets, padId: c.padId, labelSmoothing: c.labelSmoothing)
            got.backward()
            XCTAssertEqual(got.item(), want.item(), accuracy: 1e-6, "\(family) tied \(tied)")
            for (p, w) in zip(model.parameters(), wantGrads) {
                let g = p.grad?.scalars ?? []
                XCTAssertEqual(g.count, w.count)
                for (a, b) in zip(g, w) where abs(a - b) > 1e-6 { XCTFail("\(family) tied \(tied): gradient \(a) vs \(b)"); break }
            }
        }
    }

    // MARK: Parts for Hugging Face architectures

    func testNewKeysRoundTripAndMissingKeysKeepTodaysModels() throws {
        let old = try JSONDecoder().decode(TransformerConfig.self, from: Data(#"{"d_model": 16, "heads": 2}"#.utf8))
        XCTAssertEqual(old.padId, 0)
        XCTAssertTrue(old.scaleEmbedding && old.outputHead && old.suppressedIds.isEmpty)
        XCTAssertEqual(old.sinusoidalLayout, .interleaved)
        XCTAssertFalse(old.embeddingNorm || old.outputTransform || old.typeVocab != 0 || old.hasOutputBias == false)
        XCTAssertEqual(old.startId, old.bosId)
        var c = tinyConfig(.decoderOnly)
        c.padId = nil; c.activation = .geluTanh; c.sinusoidalLayout = .halves; c.scaleEmbedding = false
        c.suppressedIds = [3, 4]; c.outputBias = false; c.tieOutput = true
        let json = try c.jsonData()
        XCTAssertTrue(String(decoding: json, as: UTF8.self).contains(#""pad_id" : null"#))
        XCTAssertEqual(try JSONDecoder().decode(TransformerConfig.self, from: json), c)
        c.suppressedIds = [20]
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("suppressed_ids (20)"), "\($0)") }
    }

    func testAbsurdSizesAreRefusedBeforeAllocation() {
        for edit in [{ (c: inout TransformerConfig) in c.dModel = 1_000_000; c.heads = 1 }, { $0.decoderLayers = 100_000_000 },
                     { $0.maxLen = 2_000_000_000 }, { $0.tgtVocab = 1 << 40 }] {
            var c = tinyConfig(.decoderOnly)
            edit(&c)
            XCTAssertThrowsError(try DecoderOnlyModel(config: c)) { XCTAssertTrue("\($0)".contains("above the largest supported value"), "\($0)") }
        }
        XCTAssertNoThrow(try TransformerConfig.preset("paper-big").validate())
    }

    /// Marian starts decoding from its pad id: the start token is never masked as padding, so the
    /// whole-sequence pass gives the logits of cached decoding, which masks nothing.
    func testDecoderStartTokenMayBeThePadId() throws {
        var c = tinyConfig(.encoderDecoder)
        c.padId = 19; c.decoderStartId = 19; c.dropout = 0
        let m = try EncoderDecoderModel(config: c, seed: 4)
        m.train(false)
        let source = Tensor(ints: [5, 6, 7, 2], shape: [1, 4])
        let target: [Int32] = [19, 8, 9, 10]
        withNoGrad {
            let (memory, padding) = m.encode(source)
            let full = m.project(m.decode(Tensor(ints: target, shape: [1, 4]), memory: memory, sourcePadding: padding))
            let state = m.startDecoding(memory: memory, sourcePadding: padding)
            for (t, token) in target.enumerated() {
                let step = m.decodeStep(Tensor(ints: [token], shape: [1, 1]), state: state).scalars
                for (a, b) in zip(step, full.slice(axis: 1, t..<(t + 1)).scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
            }
        }
    }

    /// Without a pad id nothing is masked by value (GPT-2's <eos> is a real token, also used to pad);
    /// a padded batch passes its padding explicitly and each row then equals the row alone.
    func testModelsWithoutPadIdTakeExplicitPadding() throws {
        var c = tinyConfig(.decoderOnly)
        c.padId = nil; c.dropout = 0
        let m = try DecoderOnlyModel(config: c, seed: 2)
        m.train(false)
        var withPad = c
        withPad.padId = 0
        let masking = try DecoderOnlyModel(config: withPad, seed: 2)
        masking.train(false)
        let ids = Tensor(ints: [4, 0, 6], shape: [1, 3])
        withNoGrad {
            XCTAssertNotEqual(m(ids).scalars, masking(ids).scalars, "token 0 is text without a pad id")
            let v = c.tgtVocab
            let batch = Tensor(ints: [4, 0, 6, 0, 7, 8, 0, 0], shape: [2, 4])
            let both = m(batch, keyPadding: Tensor([0, 0, 0, 1, 0, 0, 1, 1], shape: [2, 4])).scalars
            XCTAssertEqual(Array(both[0..<(3 * v)]), m(ids).scalars)
            XCTAssertEqual(Array(both[(4 * v)..<(6 * v)]), m(Tensor(ints: [7, 8], shape: [1, 2])).scalars)
        }
    }

    func testEncoderOnlyPartsTokenTypesAndHeadlessModels() throws {
        var c = tinyConfig(.encoderOnly)
        c.typeVocab = 2; c.embeddingNorm = true; c.outputTransform = true; c.tieOutput = true; c.outputBias = true
        let m = try EncoderOnlyModel(config: c, seed: 1)
        m.train(false)
        let names = Set(m.namedParameters().map(\.name))
        for n in ["embedding.types.weight", "embedding.norm.weight", "outputTransform.dense.weight", "outputTransform.norm.bias", "outputBias"] {
            XCTAssertTrue(names.contains(n), n)
        }
        XCTAssertNil(m.generator)
        let ids = Tensor(ints: [3, 4, 5], shape: [1, 3])
        withNoGrad {
            XCTAssertEqual(m.hidden(ids).scalars, m.hidden(ids, typeIds: Tensor(ints: [0, 0, 0], shape: [1, 3])).scalars)
            XCTAssertNotEqual(m.hidden(ids).scalars, m.hidden(ids, typeIds: Tensor(ints: [0, 1, 1], shape: [1, 3])).scalars)
            XCTAssertEqual(m(ids).shape, [1, 3, c.srcVocab])
        }
        c.outputHead = false
        XCTAssertThrowsError(try EncoderOnlyModel(config: c)) { XCTAssertTrue("\($0)".contains("output_transform"), "\($0)") }
        c.outputTransform = false
        let bare = try EncoderOnlyModel(config: c, seed: 1)
        XCTAssertTrue(bare.namedParameters().allSatisfy { !$0.name.hasPrefix("output") && !$0.name.hasPrefix("generator") })
    }
}
