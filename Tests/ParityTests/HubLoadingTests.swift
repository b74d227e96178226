// Loading Hugging Face directories strictly: every missing, extra, mis-shaped or inconsistent tensor
// and every unsupported or absurd config value is an error naming it, raised before anything large
// is allocated; the tensors checkpoints carry that the model does not use, older names, and
// checkpoints without the base-model prefix load.
import Checkpoints
import Foundation
import Models
import XCTest

final class HubLoadingTests: XCTestCase {
    /// A copy of fixture `name` in a temporary directory.
    func copy(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: HubParityTests.fixtures.appendingPathComponent(name), to: dir)
        return dir
    }

    /// Rewrites the copy's model.safetensors: `edit` gets the tensors by name (float32) and returns the new set.
    func rewrite(_ dir: URL, _ edit: (inout [String: (shape: [Int], values: [Float])]) -> Void) throws {
        let path = dir.appendingPathComponent("model.safetensors").path
        let file = try SafetensorsFile(path: path)
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        for e in file.entries { tensors[e.name] = (e.shape, try file.floats(e.name)) }
        edit(&tensors)
        try SafetensorsWriter.write(tensors.keys.sorted().map { SafetensorsTensor(name: $0, shape: tensors[$0]!.shape, floats: tensors[$0]!.values) },
                                    to: path)
    }

    /// Rewrites one key of the copy's config.json (nil removes it).
    func setConfig(_ dir: URL, _ key: String, _ value: Any?) throws {
        let url = dir.appendingPathComponent("config.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        json[key] = value
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    func assertLoadFails(_ dir: URL, mentioning parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ModelDirectory.load(dir), file: file, line: line) { error in
            let message = "\(error)"
            for p in parts { XCTAssertTrue(message.contains(p), "'\(message)' should mention '\(p)'", file: file, line: line) }
        }
    }

    func logits(_ loaded: LoadedModel) -> [Float] {
        guard case .decoderOnly(let m) = loaded.model else { return [] }
        return withNoGrad { m(Tensor(ints: [3, 9, 27, 4], shape: [1, 4])).scalars }
    }

    // MARK: Tensors

    func testMissingExtraAndMisshapedTensorsAreNamed() throws {
        let missing = try copy("gpt2")
        try rewrite(missing) { $0["transformer.h.1.mlp.c_fc.bias"] = nil }
        assertLoadFails(missing, mentioning: ["transformer.h.1.mlp.c_fc.bias", "missing", "[128]"])

        let extra = try copy("llama_gqa2")
        try rewrite(extra) { $0["model.layers.0.self_attn.q_proj.bias"] = ([32], [Float](repeating: 0, count: 32)) }
        assertLoadFails(extra, mentioning: ["model.layers.0.self_attn.q_proj.bias", "not part of a LlamaForCausalLM"])

        let shape = try copy("bert_mlm")
        try rewrite(shape) { t in
            let old = t["bert.encoder.layer.1.intermediate.dense.weight"]!
            t["bert.encoder.layer.1.intermediate.dense.weight"] = ([32, 64], old.values)
        }
        assertLoadFails(shape, mentioning: ["bert.encoder.layer.1.intermediate.dense.weight", "expected [64, 32]", "found [32, 64]"])

        // A tied copy saved beside the original must hold the same values.
        let tied = try copy("llama_gqa4_tied")
        try rewrite(tied) { t in
            var head = t["model.embed_tokens.weight"]!
            head.values[7] += 1
            t["lm_head.weight"] = head
        }
        assertLoadFails(tied, mentioning: ["lm_head.weight", "tied copy"])
    }

    func testIgnorableTensorsOlderNamesAndUnprefixedCheckpointsLoad() throws {
        let reference = logits(try ModelDirectory.load(HubParityTests.fixtures.appendingPathComponent("gpt2")))
        // GPT-2 as openai-community/gpt2 stores it: no "transformer." prefix, the mask buffers, a tied lm_head copy.
        let original = try copy("gpt2")
        try rewrite(original) { t in
            t = Dictionary(uniqueKeysWithValues: t.map { ($0.key.replacingOccurrences(of: "transformer.", with: ""), $0.value) })
            for i in 0..<2 {
                t["h.\(i).attn.bias"] = ([1, 1, 4, 4], [Float](repeating: 1, count: 16))
                t["h.\(i).attn.masked_bias"] = ([], [-1e4])
            }
            t["lm_head.weight"] = t["wte.weight"]
        }
        XCTAssertEqual(logits(try ModelDirectory.load(original)), reference)

        // Llama's saved RoPE frequencies; BERT's position ids, next-sentence head and TensorFlow-era norm names.
        let llama = try copy("llama_mha")
        try rewrite(llama) { $0["model.layers.1.self_attn.rotary_emb.inv_freq"] = ([3], [1, 0.1, 0.01]) }
        XCTAssertNoThrow(try ModelDirectory.load(llama))
        let bert = try copy("bert_mlm")
        try rewrite(bert) { t in
            t["bert.embeddings.position_ids"] = ([1, 40], (0..<40).map(Float.init))
            t["cls.seq_relationship.weight"] = ([2, 32], [Float](repeating: 0, count: 64))
            t["bert.embeddings.LayerNorm.gamma"] = t.removeValue(forKey: "bert.embeddings.LayerNorm.weight")
            t["bert.embeddings.LayerNorm.beta"] = t.removeValue(forKey: "bert.embeddings.LayerNorm.bias")
        }
        XCTAssertNoThrow(try ModelDirectory.load(bert))
        // Marian's sinusoid tables and no final_logits_bias (then zero).
        let marian = try copy("marian_swish_shared")
        try rewrite(marian) { t in
            t["model.encoder.embed_positions.weight"] = ([64, 32], [Float](repeating: 0, count: 64 * 32))
            t["final_logits_bias"] = nil
        }
        guard case .encoderDecoder(let m) = try ModelDirectory.load(marian).model else { return XCTFail("not an encoder-decoder") }
        XCTAssertEqual(m.outputBias?.scalars.allSatisfy { $0 == 0 }, true)
    }

    func testShardedCheckpointsLoadAndMissingWeightsAreExplained() throws {
        let reference = try ModelDirectory.load(try copy("llama_mha")).model.module.namedParameters()
        // The same tensors in two shards with their index, as save_pretrained writes large models.
        let dir = try copy("llama_mha")
        let single = dir.appendingPathComponent("model.safetensors")
        let file = try SafetensorsFile(path: single.path)
        let names = file.entries.map(\.name)
        var weightMap: [String: String] = [:]
        for (k, part) in [names.prefix(names.count / 2), names.dropFirst(names.count / 2)].enumerated() {
            let shard = "model-0000\(k + 1)-of-00002.safetensors"
            try SafetensorsWriter.write(try part.map { SafetensorsTensor(name: $0, shape: try file.entry($0).shape, floats: try file.floats($0)) },
                                        to: dir.appendingPathComponent(shard).path)
            for n in part { weightMap[n] = shard }
        }
        try FileManager.default.removeItem(at: single)
        try JSONSerialization.data(withJSONObject: ["metadata": [String: Any](), "weight_map": weightMap])
            .write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        let sharded = try ModelDirectory.load(dir).model.module.namedParameters()
        XCTAssertEqual(sharded.map(\.name), reference.map(\.name))
        for (a, b) in zip(sharded, reference) { XCTAssertEqual(a.tensor.scalars, b.tensor.scalars, a.name) }

        let empty = try copy("llama_mha")
        try FileManager.default.removeItem(at: empty.appendingPathComponent("model.safetensors"))
        assertLoadFails(empty, mentioning: ["model.safetensors", "pytorch_model.bin"])
    }

    // MARK: config.json

    func testUnsupportedModelTypesAndArchitecturesListTheSupportedOnes() throws {
        let dir = try copy("gpt2")
        try setConfig(dir, "model_type", "t5")
        assertLoadFails(dir, mentioning: ["model_type", "'t5'", "GPT2LMHeadModel", "MarianMTModel", "BertForMaskedLM", "LlamaForCausalLM"])
        try setConfig(dir, "model_type", "gpt2")
        try setConfig(dir, "architectures", ["GPT2ForSequenceClassification"])
        assertLoadFails(dir, mentioning: ["architectures", "GPT2ForSequenceClassification", "GPT2LMHeadModel"])
        try setConfig(dir, "architectures", nil)
        XCTAssertEqual(try ModelDirectory.load(dir).architecture, .gpt2LMHead)
        try setConfig(dir, "activation_function", "quick_gelu")
        assertLoadFails(dir, mentioning: ["activation_function", "quick_gelu", "gelu_new"])
    }

    func testOutOfRangeSizesAreRefusedBeforeAllocation() throws {
        let dir = try copy("gpt2")
        for (key, value, words) in [("n_layer", -2, ["n_layer", "negative"]), ("n_head", 5, ["n_head", "divide"]),
                                    ("n_embd", 1_000_000, ["d_model", "largest supported"]), ("n_layer", 100_000_000, ["decoder_layers", "largest supported"]),
                                    ("n_embd", 65_536, ["parameters", "GB at float32"]),
                                    ("vocab_size", 0, ["vocab_size", "positive"]), ("n_positions", 1 << 40, ["n_positions", "too large"])] as [(String, Int, [String])] {
            let copy = try self.copy("gpt2")
            try setConfig(copy, key, value)
            assertLoadFails(copy, mentioning: words)
        }
        try setConfig(dir, "n_embd", 32.5)
        assertLoadFails(dir, mentioning: ["n_embd", "integer"])
    }

    func testUnsupportedArchitectureOptionsAreNamed() throws {
        let cases: [(String, String, Any, [String])] = [
            ("llama_gqa2", "rope_scaling", ["rope_type": "linear", "factor": 2.0], ["rope_scaling"]),
            ("llama_gqa2", "rope_parameters", ["rope_type": "yarn", "rope_theta": 10000.0], ["rope_parameters.rope_type", "yarn"]),
            ("llama_gqa2", "head_dim", 16, ["head_dim", "16"]),
            ("llama_gqa2", "attention_bias", true, ["attention_bias"]),
            ("llama_gqa2", "mlp_bias", true, ["mlp_bias"]),
            ("llama_gqa2", "hidden_act", "gelu", ["hidden_act", "silu"]),
            ("llama_gqa2", "num_key_value_heads", 3, ["num_key_value_heads", "divide"]),
            ("gpt2", "scale_attn_by_inverse_layer_idx", true, ["scale_attn_by_inverse_layer_idx"]),
            ("marian_swish_shared", "normalize_before", true, ["normalize_before"]),
            ("marian_swish_shared", "decoder_ffn_dim", 64, ["decoder_ffn_dim"]),
            ("bert_mlm", "position_embedding_type", "relative_key", ["position_embedding_type", "relative_key"]),
        ]
        for (name, key, value, words) in cases {
            let dir = try copy(name)
            try setConfig(dir, key, value)
            assertLoadFails(dir, mentioning: words)
        }
    }

    // MARK: Generation defaults and descriptions

    func testGenerationDefaultsAndDescriptions() throws {
        let marian = try ModelDirectory.load(HubParityTests.fixtures.appendingPathComponent("marian_swish_shared"))
        let g = marian.generation
        XCTAssertEqual(g.numBeams, 3)
        XCTAssertEqual(g.maxLength, 64)
        XCTAssertEqual(g.badWordsIds, [[119]])
        XCTAssertEqual(g.decoderStartTokenId, 119)
        XCTAssertEqual(g.eosTokenIds, [0])
        XCTAssertEqual(marian.config.startId, 119)
        XCTAssertEqual(marian.config.padId, 119)
        XCTAssertEqual(marian.config.suppressedIds, [119])
        XCTAssertEqual(marian.config.sinusoidalLayout, .halves)
        XCTAssertFalse(marian.config.finalNorm)

        // Without generation_config.json the generation keys of config.json count (older exports).
        let dir = try copy("marian_relu_separate_vocab")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("generation_config.json"))
        try setConfig(dir, "num_beams", 6)
        try setConfig(dir, "bad_words_ids", [[96], [5, 6]])
        try setConfig(dir, "early_stopping", "never")
        let description = try ModelDirectory.describe(dir)
        XCTAssertEqual(description.architecture, .marianMT)
        XCTAssertEqual(description.generation.numBeams, 6)
        XCTAssertEqual(description.generation.earlyStopping, .never)
        XCTAssertEqual(description.config.suppressedIds, [96])
        XCTAssertEqual(description.config.srcVocab, 110)
        XCTAssertEqual(description.config.tgtVocab, 97)

        // Our own directories describe themselves the same way, generation defaults from their special ids.
        let ours = try ModelDirectory.describe(URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/decoder_only_preln"))
        XCTAssertNil(ours.architecture)
        XCTAssertEqual(ours.generation.eosTokenIds, [ours.config.eosId])
    }
}
