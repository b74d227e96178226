// Exported directories round-trip (scripts/export_roundtrip_fixtures.py): models of ours exported
// again here write the very bytes transformers (or torch.nn.Transformer) loaded when the fixture
// was made; our model and the export, loaded back, give the logits transformers computed on it
// within 1e-4 of their scale; AutoTokenizer's ids are ours, and they wrap a text as our model reads
// it. Configs the architectures cannot express are refused, naming the config key.
import Checkpoints
import Foundation
import Models
import Tokenization
import Training
import XCTest

final class ExportRoundTripTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/export")

    func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// FNV-1a, 64 bits, as the fixture script computes it.
    func fnv1a64(_ url: URL) throws -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in try Data(contentsOf: url) { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// max |ours − theirs| / max |theirs| over the rows [B·T] that `keep` marks.
    func relativeError(_ ours: Tensor, _ theirs: Tensor, keep: [Bool]) -> Float {
        XCTAssertEqual(ours.shape, theirs.shape)
        guard ours.shape == theirs.shape else { return .infinity }
        let width = theirs.shape[theirs.rank - 1]
        var diff: Float = 0, scale: Float = 0
        for r in 0..<(theirs.count / width) where keep[r] {
            for j in 0..<width {
                diff = max(diff, abs(ours.data[r * width + j] - theirs.data[r * width + j]))
                scale = max(scale, abs(theirs.data[r * width + j]))
            }
        }
        return diff / max(scale, 1e-4)
    }

    /// The model's output on the fixture's batch, compared where transformers' is meaningful: every
    /// token (decoder inputs: up to padding, the start token always).
    func checkOutputs(_ loaded: LoadedModel, _ expected: SafetensorsFile, _ what: String, tolerance: Float = 1e-4) throws {
        let c = loaded.config
        let mask = try expected.int32s("attention_mask")
        let padding = Tensor(mask.map { $0 == 0 ? Float(1) : 0 }, shape: try expected.entry("attention_mask").shape)
        let vocab = c.family == .decoderOnly ? c.tgtVocab : c.srcVocab
        let ids = try expected.ids("input_ids", below: vocab)
        try withNoGrad {
            let output: Tensor, keep: [Bool]
            switch loaded.model {
            case .encoderDecoder(let m):
                let dec = try expected.ids("decoder_input_ids", below: c.tgtVocab)
                let width = dec.shape[1]
                let decIds = dec.intScalars, pad = Int32(c.padId ?? -1)
                keep = decIds.indices.map { $0 % width == 0 || decIds[$0] != pad }
                output = m(source: ids, targetIn: dec, sourcePadding: padding)
            case .decoderOnly(let m):
                keep = mask.map { $0 != 0 }
                output = m.project(m.hidden(ids, keyPadding: padding))
            case .encoderOnly(let m):
                keep = mask.map { $0 != 0 }
                let hidden = m.hidden(ids, keyPadding: padding)
                output = c.outputHead ? m.project(hidden) : hidden
            }
            let name = c.outputHead ? "logits" : "hidden"
            let error = relativeError(output, try expected.tensor(name), keep: keep)
            XCTAssertLessThanOrEqual(error, tolerance, "\(what): \(name) relative error \(error)")
        }
    }

    func check(_ name: String) throws {
        let source = ExportRoundTripTests.fixtures.appendingPathComponent(name)
        let expected = try SafetensorsFile(path: source.appendingPathComponent("expected.safetensors").path)
        let meta = expected.header.metadata
        let format = try XCTUnwrap(meta["format"].flatMap(ExportFormat.init(rawValue:)))
        let out = temporaryDirectory().appendingPathComponent("export")
        let architecture = try ModelExport.export(modelDirectory: source, to: out, format: format)
        XCTAssertEqual(architecture?.rawValue ?? "torch.nn.Transformer", meta["architecture"])

        // The same files, byte for byte, as transformers loaded.
        let hashed = Set(meta.keys.filter { $0.hasPrefix("fnv1a64.") }.map { String($0.dropFirst(8)) })
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: out.path)), hashed, name)
        for file in hashed.sorted() {
            XCTAssertEqual(try fnv1a64(out.appendingPathComponent(file)), meta["fnv1a64." + file], "\(name): \(file) differs from the bytes transformers loaded")
        }

        let original = try ModelDirectory.load(source), exported = try ModelDirectory.load(out)
        XCTAssertEqual(exported.layout, format == .hf ? .hub : .pytorch)
        XCTAssertEqual(exported.architecture?.rawValue, architecture?.rawValue)
        try checkOutputs(original, expected, "\(name): our model")
        try checkOutputs(exported, expected, "\(name): the export loaded back")

        guard format == .hf else { return }
        let ours = try Tokenizer(contentsOfFile: source.appendingPathComponent("tokenizer.json").path)
        let theirs = try Tokenizer.load(fileOrDirectory: out.path)
        let c = original.config
        for i in 0..<3 {
            let text = try XCTUnwrap(meta["text.\(i)"])
            let ids = try expected.int32s("tokens.\(i)")
            XCTAssertEqual(theirs.encode(text, addSpecial: true), ids, "\(name): \(text)")
            switch original.model {
            case .encoderDecoder(let m):
                XCTAssertEqual(ids, m.sourceSequence(ours.encode(text)), "\(name): a source as translate reads it")
                let target = try XCTUnwrap(meta["target.\(i)"])
                XCTAssertEqual(try expected.int32s("target.\(i)"), ours.encode(target) + [Int32(c.eosId)], "\(name): labels")
            case .decoderOnly:
                XCTAssertEqual(ids, [Int32(c.bosId)] + ours.encode(text), "\(name): a prompt as generate reads it")
            case .encoderOnly:
                XCTAssertEqual(ids, ours.encode(text, addSpecial: true), "\(name): as the tokenizer has it")
            }
        }
        if let pad = c.padId { XCTAssertEqual(theirs.padID, Int32(pad)) }
        if c.family != .encoderOnly { XCTAssertEqual(theirs.eosID, Int32(c.eosId)); XCTAssertEqual(theirs.bosID, Int32(c.bosId)) }
    }

    func testMarianSharedTiedInterleavedSinusoids() throws { try check("marian_shared_tied") }
    func testMarianOddWidthSeparateVocabulariesUntiedWithoutBiases() throws { try check("marian_odd_separate_untied") }
    func testGPT2FromSinusoidsScaledAndTied() throws { try check("gpt2_sinusoidal_scaled_tied") }
    func testGPT2LearnedPositionsUntied() throws { try check("gpt2_learned_untied") }
    func testLlamaGroupedQuery() throws { try check("llama_gqa") }
    func testLlamaOneKeyValueHeadTiedScaled() throws { try check("llama_mqa_tied_scaled") }
    func testBERTMaskedLM() throws { try check("bert_mlm") }
    func testBareBERTFromSinusoidsWithoutTokenTypes() throws { try check("bert_bare_sinusoidal") }
    func testPyTorchReferenceLayout() throws { try check("pytorch_reference") }

    /// f16 and bf16 exports load back and compute the same within their rounding.
    func testHalfPrecisionExports() throws {
        let source = ExportRoundTripTests.fixtures.appendingPathComponent("marian_shared_tied")
        let expected = try SafetensorsFile(path: source.appendingPathComponent("expected.safetensors").path)
        for (dtype, name, tolerance) in [(WeightFormat.f16, "float16", Float(5e-3)), (.bf16, "bfloat16", 5e-2)] {
            let out = temporaryDirectory()
            try ModelExport.export(modelDirectory: source, to: out, format: .hf, dtype: dtype)
            let config = try String(contentsOf: out.appendingPathComponent("config.json"), encoding: .utf8)
            XCTAssertTrue(config.contains("\"dtype\": \"\(name)\""), config)
            try checkOutputs(try ModelDirectory.load(out), expected, name, tolerance: tolerance)
        }
    }

    /// Marian's activation_dropout is ours (which defaults to dropout, as nn.Transformer's), both ways.
    func testActivationDropoutGoesToMarianAndBack() throws {
        for (own, expected) in [(Float?.some(0.05), Float(0.05)), (nil, 0.2)] {
            let c = config(.encoderDecoder) { $0.dropout = 0.2; $0.activationDropout = own; $0.padId = 0 }
            let dir = temporaryDirectory()
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try HubExport.write(try EncoderDecoderModel(config: c, seed: 3), config: c, to: dir.path)
            XCTAssertEqual(try ModelDirectory.describe(dir).config.activationDropout, expected)
        }
    }

    /// A model's tuned beam settings (its generation_config.json) go with it into both layouts.
    func testSearchSettingsTravelWithTheModel() throws {
        let source = temporaryDirectory()
        try FileManager.default.copyItem(at: ExportRoundTripTests.fixtures.appendingPathComponent("marian_shared_tied"), to: source)
        try Data(#"{"num_beams": 5, "length_penalty": 1.1, "early_stopping": false}"#.utf8)
            .write(to: source.appendingPathComponent("generation_config.json"))
        let native = temporaryDirectory(), hub = temporaryDirectory()
        try ModelExport.export(modelDirectory: source, to: native, format: .native, dtype: .f16)
        try ModelExport.export(modelDirectory: source, to: hub, format: .hf)
        for dir in [native, hub] {
            let g = try ModelDirectory.describe(dir).generation
            XCTAssertEqual(g.numBeams, 5, dir.path)
            XCTAssertEqual(g.lengthPenalty, 1.1, dir.path)
            XCTAssertEqual(g.earlyStopping, .no, dir.path)
        }
        // Without one, a Marian export keeps our default beam and transformers' default penalty.
        let plain = temporaryDirectory()
        try ModelExport.export(modelDirectory: ExportRoundTripTests.fixtures.appendingPathComponent("marian_shared_tied"), to: plain, format: .hf)
        let g = try ModelDirectory.describe(plain).generation
        XCTAssertEqual(g.numBeams, 4)
        XCTAssertNil(g.lengthPenalty)
    }

    func config(_ family: ModelFamily, _ change: (inout TransformerConfig) -> Void) -> TransformerConfig {
        var c = TransformerConfig()
        c.family = family
        c.dModel = 16; c.heads = 4; c.ff = 20; c.srcVocab = 30; c.tgtVocab = 30; c.maxLen = 32
        c.encoderLayers = family == .decoderOnly ? 0 : 1
        c.decoderLayers = family == .encoderOnly ? 0 : 1
        switch family {
        case .encoderDecoder: c.finalNorm = false
        case .decoderOnly: c.normFirst = true; c.tieOutput = true
        case .encoderOnly: c.finalNorm = false; c.embeddingNorm = true; c.outputHead = false
        }
        change(&c)
        return c
    }

    func testWhatTheArchitecturesCannotExpressIsRefusedByKey() throws {
        XCTAssertEqual(try HubExport.architecture(for: config(.encoderDecoder) { _ in }), .marianMT)
        XCTAssertEqual(try HubExport.architecture(for: config(.decoderOnly) { _ in }), .gpt2LMHead)
        XCTAssertEqual(try HubExport.architecture(for: config(.decoderOnly) {
            $0.positional = .rope; $0.norm = .rmsNorm; $0.activation = .swiglu; $0.bias = false
        }), .llamaForCausalLM)
        XCTAssertEqual(try HubExport.architecture(for: config(.encoderOnly) { _ in }), .bert)
        let refused: [(String, TransformerConfig)] = [
            ("final_norm true", config(.encoderDecoder) { $0.finalNorm = true }),
            ("norm_first true", config(.encoderDecoder) { $0.normFirst = true }),
            ("positional rope", config(.encoderDecoder) { $0.positional = .rope }),
            ("positional learned", config(.encoderDecoder) { $0.positional = .learned }),
            ("attention mla", config(.decoderOnly) { $0.attention = .mla }),
            ("positional alibi", config(.decoderOnly) { $0.positional = .alibi }),
            ("kv_heads 2", config(.encoderDecoder) { $0.attention = .gqa; $0.kvHeads = 2 }),
            ("layer_norm_eps", config(.encoderDecoder) { $0.layerNormEps = 1e-6 }),
            ("norm rms_norm", config(.encoderDecoder) { $0.norm = .rmsNorm }),
            ("pad_id is null", config(.encoderDecoder) { $0.padId = nil }),
            ("norm rms_norm", config(.decoderOnly) { $0.norm = .rmsNorm }),
            ("norm_first false", config(.decoderOnly) { $0.normFirst = false }),
            ("final_norm false", config(.decoderOnly) { $0.finalNorm = false }),
            ("output_bias true", config(.decoderOnly) { $0.tieOutput = false }),
            ("activation swiglu", config(.decoderOnly) { $0.activation = .swiglu }),
            ("bias true", config(.decoderOnly) { $0.positional = .rope; $0.norm = .rmsNorm; $0.activation = .swiglu }),
            ("norm layer_norm", config(.decoderOnly) { $0.positional = .rope; $0.activation = .swiglu; $0.bias = false }),
            ("embedding_norm false", config(.encoderOnly) { $0.embeddingNorm = false }),
            ("output_transform false", config(.encoderOnly) { $0.outputHead = true }),
            ("positional rope", config(.encoderOnly) { $0.positional = .rope }),
            ("type_vocab 2", config(.decoderOnly) { $0.typeVocab = 2 }),
        ]
        for (key, c) in refused {
            XCTAssertThrowsError(try HubExport.architecture(for: c), key) { error in
                XCTAssertTrue("\(error)".contains(key), "expected '\(key)' in: \(error)")
            }
        }
        XCTAssertThrowsError(try PyTorchLayout.check(config(.encoderDecoder) { $0.finalNorm = true; $0.shareEmbeddings = true })) { error in
            XCTAssertTrue("\(error)".contains("share_embeddings true"), "\(error)")
        }
    }

    /// A refused export writes nothing; an existing directory of another layout is not mixed with this one.
    func testRefusedExportsWriteNothing() throws {
        let c = config(.encoderDecoder) { $0.finalNorm = true }
        let model = try AnyTransformerModel(config: c, seed: 1)
        let out = temporaryDirectory()
        XCTAssertThrowsError(try ModelExport.write(model.module, config: c, tokenizerDirectory: nil, to: out, format: .hf))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        try ModelExport.write(model.module, config: c, tokenizerDirectory: nil, to: out, format: .native)
        var ok = config(.encoderDecoder) { _ in }
        ok.padId = 0
        let exportable = try AnyTransformerModel(config: ok, seed: 1)
        XCTAssertThrowsError(try ModelExport.write(exportable.module, config: ok, tokenizerDirectory: nil, to: out, format: .hf)) { error in
            XCTAssertTrue("\(error)".contains("weights.safetensors"), "\(error)")
        }
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: out.path)), ["config.json", "weights.safetensors"])
    }
}
