// Hugging Face model directories (scripts/hub_model_fixtures.py) run on our layers against what
// transformers computed with them: logits and last hidden states of a padded batch within 1e-4
// of the tensor's scale, greedy decoding token for token as `generate` gives it, beam search
// (3 beams, transformers' length penalty and stopping) tokens and scores, cached decoding equal
// to uncached, and a sentence decoded the same alone or in a batch.
import Checkpoints
import Foundation
import Generation
import Models
import XCTest

final class HubParityTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/hub")

    struct Case {
        let loaded: LoadedModel
        let expected: SafetensorsFile
        var config: TransformerConfig { loaded.config }
        func ids(_ name: String, below limit: Int) throws -> Tensor { try expected.ids(name, below: limit) }
        func tokens(_ name: String) throws -> [Int32] { try expected.int32s(name) }
        /// 1 where attention_mask is 0: our key-padding convention.
        func padding() throws -> Tensor {
            Tensor(try expected.int32s("attention_mask").map { $0 == 0 ? Float(1) : 0 }, shape: try expected.entry("attention_mask").shape)
        }
    }

    func load(_ name: String) throws -> Case {
        let dir = HubParityTests.fixtures.appendingPathComponent(name)
        let loaded = try ModelDirectory.load(dir)
        XCTAssertEqual(loaded.layout, .hub)
        return Case(loaded: loaded, expected: try SafetensorsFile(path: dir.appendingPathComponent("expected.safetensors").path))
    }

    /// max |ours − theirs| / max |theirs| over the positions `keep` [B, T] marks (all without it).
    func relativeError(_ ours: Tensor, _ theirs: Tensor, keep: [Int32]? = nil) -> Float {
        XCTAssertEqual(ours.shape, theirs.shape)
        guard ours.shape == theirs.shape else { return .infinity }
        let width = theirs.shape[theirs.rank - 1], rows = theirs.count / width
        var diff: Float = 0, scale: Float = 0
        for r in 0..<rows where keep.map({ $0[r] != 0 }) ?? true {
            for j in 0..<width {
                diff = max(diff, abs(ours.data[r * width + j] - theirs.data[r * width + j]))
                scale = max(scale, abs(theirs.data[r * width + j]))
            }
        }
        return diff / max(scale, 1e-4)
    }

    func assertClose(_ ours: Tensor, _ name: String, in c: Case, keep: [Int32]? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let error = relativeError(ours, try c.expected.tensor(name), keep: keep)
        XCTAssertLessThanOrEqual(error, 1e-4, "\(name): relative error \(error)", file: file, line: line)
    }

    // MARK: Marian

    func checkMarian(_ name: String) throws {
        let c = try load(name)
        guard case .encoderDecoder(let m) = c.loaded.model else { return XCTFail("\(name): not an encoder-decoder") }
        XCTAssertEqual(c.loaded.architecture, .marianMT)
        let src = try c.ids("input_ids", below: c.config.srcVocab), dec = try c.ids("decoder_input_ids", below: c.config.tgtVocab)
        try withNoGrad {
            let (memory, padding) = m.encode(src)
            try assertClose(memory, "encoder_hidden", in: c, keep: try c.tokens("attention_mask"))
            let hidden = m.decode(dec, memory: memory, sourcePadding: padding)
            try assertClose(hidden, "hidden", in: c)
            try assertClose(m.project(hidden), "logits", in: c)
            // The same with the padding given as HF gives it, by attention mask.
            try assertClose(m(source: src, targetIn: dec, sourcePadding: try c.padding()), "logits", in: c)
        }
        let sources = try (0..<2).map { try c.tokens("source.\($0)") }
        let translator = Translator(model: m)
        translator.options.maxLengthA = 0
        translator.options.maxLengthB = 12
        translator.options.beamSize = 1
        let greedy = translator.translate(sources)
        for i in 0..<2 {
            XCTAssertEqual(greedy[i][0].tokens, try c.tokens("greedy.\(i)"), "\(name): greedy \(i)")
            XCTAssertEqual(translator.translateBatch([sources[i]])[0][0].tokens, greedy[i][0].tokens, "\(name): alone = in a batch")
        }
        translator.options.beamSize = 3
        translator.options.lengthPenalty = 1
        translator.options.lengthNormalization = .power
        translator.options.beamStopping = .noBetterHypothesis
        let beam = translator.translate(sources)
        for i in 0..<2 {
            XCTAssertEqual(beam[i][0].tokens, try c.tokens("beam.\(i)"), "\(name): beam \(i)")
            XCTAssertEqual(beam[i][0].score, try c.expected.tensor("beam.\(i).score").item(), accuracy: 1e-4, "\(name): beam score \(i)")
            XCTAssertEqual(translator.translateBatch([sources[i]])[0][0].tokens, beam[i][0].tokens, "\(name): beam alone = in a batch")
        }
        // Cached decoding gives the logits of the whole-sequence forward pass.
        withNoGrad {
            let one = Tensor(ints: sources[0], shape: [1, sources[0].count])
            let (memory, padding) = m.encode(one)
            let target = [Int32(m.config.startId)] + greedy[0][0].tokens.dropLast()
            let full = m.project(m.decode(Tensor(ints: target, shape: [1, target.count]), memory: memory, sourcePadding: padding))
            let state = m.startDecoding(memory: memory, sourcePadding: padding)
            for (t, token) in target.enumerated() {
                let step = m.decodeStep(Tensor(ints: [token], shape: [1, 1]), state: state)
                XCTAssertLessThanOrEqual(relativeError(step, full.slice(axis: 1, t..<(t + 1)).reshaped([1, -1])), 1e-5, "\(name): step \(t)")
            }
        }
    }

    func testMarianSwishSharedTiedEmbeddings() throws { try checkMarian("marian_swish_shared") }

    /// The pad id (Marian's decoding start) is never generated, even where it is the likeliest token.
    func testMarianNeverGeneratesItsPadToken() throws {
        let c = try load("marian_swish_shared")
        guard case .encoderDecoder(let m) = c.loaded.model, let pad = c.config.padId, let bias = m.outputBias else { return XCTFail("no tied Marian") }
        bias.data[pad] += 20
        bias.markModified()
        let source = try c.tokens("source.0")
        let likeliest: Int = withNoGrad {
            let (memory, padding) = m.encode(Tensor(ints: source, shape: [1, source.count]))
            let logits = m.decodeStep(Tensor(ints: [Int32(m.config.startId)], shape: [1, 1]), state: m.startDecoding(memory: memory, sourcePadding: padding))
            return logits.scalars.indices.max { logits.scalars[$0] < logits.scalars[$1] } ?? -1
        }
        XCTAssertEqual(likeliest, pad)
        let translator = Translator(model: m)
        translator.options.maxLengthA = 0
        translator.options.maxLengthB = 6
        for beam in [1, 3] {
            translator.options.beamSize = beam
            let out = translator.translate([source])[0][0].tokens
            XCTAssertFalse(out.contains(Int32(pad)), "beam \(beam): \(out)")
            XCTAssertFalse(out.isEmpty)
        }
    }
    func testMarianReluSeparateVocabulariesUntiedOddWidth() throws { try checkMarian("marian_relu_separate_vocab") }

    // MARK: GPT-2 and Llama

    func checkCausalLM(_ name: String, _ architecture: HubArchitecture) throws {
        let c = try load(name)
        guard case .decoderOnly(let m) = c.loaded.model else { return XCTFail("\(name): not decoder-only") }
        XCTAssertEqual(c.loaded.architecture, architecture)
        XCTAssertNil(c.config.padId)
        let ids = try c.ids("input_ids", below: c.config.tgtVocab), mask = try c.tokens("attention_mask")
        try withNoGrad {
            let hidden = m.hidden(ids, keyPadding: try c.padding())
            try assertClose(hidden, "hidden", in: c, keep: mask)
            try assertClose(m.project(hidden), "logits", in: c, keep: mask)
        }
        let prompts = try (0..<2).map { try c.tokens("prompt.\($0)") }
        let eos = Int32(c.config.eosId)
        let greedy = LanguageModelGeneration.search(model: m, prompts: prompts, maxNewTokens: 12, eos: eos)
        let search = BeamSearch(beamSize: 3, lengthPenalty: 1, normalization: .power, stopping: .noBetterHypothesis)
        let beam = LanguageModelGeneration.search(model: m, prompts: prompts, maxNewTokens: 12, eos: eos, beam: search)
        for i in 0..<2 {
            XCTAssertEqual(greedy[i][0].tokens, try c.tokens("greedy.\(i)"), "\(name): greedy \(i)")
            XCTAssertEqual(beam[i][0].tokens, try c.tokens("beam.\(i)"), "\(name): beam \(i)")
            XCTAssertEqual(beam[i][0].score, try c.expected.tensor("beam.\(i).score").item(), accuracy: 1e-4, "\(name): beam score \(i)")
        }
        // A prompt decodes the same alone or beside another of its length.
        let twins = [prompts[0], prompts[0].reversed()]
        let together = LanguageModelGeneration.search(model: m, prompts: twins, maxNewTokens: 12, eos: eos, beam: search)
        for (i, p) in twins.enumerated() {
            XCTAssertEqual(together[i][0].tokens, LanguageModelGeneration.search(model: m, prompts: [p], maxNewTokens: 12, eos: eos, beam: search)[0][0].tokens)
        }
        // Cached decoding, the prompt in one step then a token at a time, equals the full pass.
        withNoGrad {
            let sequence = prompts[0] + greedy[0][0].tokens
            let full = m(Tensor(ints: sequence, shape: [1, sequence.count]))
            let state = m.startDecoding(rows: 1)
            let n = prompts[0].count
            var steps = [m.decodeStep(Tensor(ints: prompts[0], shape: [1, n]), state: state)]
            for token in sequence[n...].dropLast() { steps.append(m.decodeStep(Tensor(ints: [token], shape: [1, 1]), state: state)) }
            for (k, step) in steps.enumerated() {
                let t = n - 1 + k
                XCTAssertLessThanOrEqual(relativeError(step, full.slice(axis: 1, t..<(t + 1)).reshaped([1, -1])), 1e-5, "\(name): position \(t)")
            }
        }
    }

    func testGPT2() throws { try checkCausalLM("gpt2", .gpt2LMHead) }
    func testGPT2ShortPositionsOddHeadsCustomInner() throws { try checkCausalLM("gpt2_short_positions", .gpt2LMHead) }
    func testLlamaGroupedQueryRatio2() throws { try checkCausalLM("llama_gqa2", .llamaForCausalLM) }
    func testLlamaGroupedQueryRatio4TiedHead() throws { try checkCausalLM("llama_gqa4_tied", .llamaForCausalLM) }
    func testLlamaMultiHead() throws { try checkCausalLM("llama_mha", .llamaForCausalLM) }

    // MARK: BERT

    func checkBERT(_ name: String, _ architecture: HubArchitecture) throws {
        let c = try load(name)
        guard case .encoderOnly(let m) = c.loaded.model else { return XCTFail("\(name): not encoder-only") }
        XCTAssertEqual(c.loaded.architecture, architecture)
        let ids = try c.ids("input_ids", below: c.config.srcVocab), types = try c.ids("token_type_ids", below: c.config.typeVocab)
        let mask = try c.tokens("attention_mask")
        try withNoGrad {
            let hidden = m.hidden(ids, typeIds: types)
            try assertClose(hidden, "hidden", in: c, keep: mask)
            try assertClose(m.hidden(ids, keyPadding: try c.padding(), typeIds: types), "hidden", in: c, keep: mask)
            if architecture.hasOutputHead {
                try assertClose(m.project(hidden), "logits", in: c, keep: mask)
            } else {
                XCTAssertFalse(c.config.outputHead)
            }
            // Without token types every position is type 0: row 0 of the fixture is all type 0.
            let row = ids.slice(axis: 0, 0..<1)
            XCTAssertEqual(m.hidden(row).scalars, m.hidden(row, typeIds: types.slice(axis: 0, 0..<1)).scalars)
        }
    }

    func testBERTMaskedLM() throws { try checkBERT("bert_mlm", .bertForMaskedLM) }
    func testBERTModelWithPoolerAndGeluNew() throws { try checkBERT("bert_model_pooler", .bert) }
}
