// Llama (LlamaForCausalLM, LlamaModel) on our decoder-only model: RMSNorm Pre-LN with a final
// norm, RoPE in the half-split layout (rotate_half) with rope_theta, SwiGLU (down(SiLU(gate(x)) ⊙
// up(x)): gate_proj is our linear1, up_proj our gate), grouped-query attention, no biases, and
// an LM head tied to the embedding or not. RoPE scaling and a head_dim other than
// hidden_size/heads are refused by name.
import JSONText
import Models

enum HubLlama {
    static func layout(_ hub: HubConfig, architecture: HubArchitecture) throws -> HubLayout {
        let d = try hub.positive("hidden_size")
        let heads = try hub.positive("num_attention_heads")
        let kvHeads = try hub.positive("num_key_value_heads", default: heads)
        guard d % heads == 0 else { throw hub.error("num_attention_heads", "(\(heads)) must divide hidden_size (\(d))") }
        guard heads % kvHeads == 0 else { throw hub.error("num_key_value_heads", "(\(kvHeads)) must divide num_attention_heads (\(heads))") }
        if let headDim = try hub.optionalInt("head_dim"), headDim != d / heads {
            throw hub.error("head_dim", "(\(headDim)) other than hidden_size / num_attention_heads (\(d / heads)) is not supported")
        }
        guard (d / heads) % 2 == 0 else { throw hub.error("hidden_size", "/ num_attention_heads (\(d / heads)) must be even for RoPE") }
        try hub.require("attention_bias", [.bool(false)], because: "attention biases are not supported for Llama")
        try hub.require("mlp_bias", [.bool(false)], because: "MLP biases are not supported for Llama")
        if let scaling = hub.value("rope_scaling"), scaling["rope_type"]?.string != "default" {
            throw hub.error("rope_scaling", "is \(scaling.description); only unscaled RoPE (null) is supported")
        }
        var theta = try hub.float("rope_theta", default: 10000)
        if let rope = hub.value("rope_parameters") {
            if let type = rope["rope_type"], type.string != "default" {
                throw hub.error("rope_parameters.rope_type", "is \(type.description); only \"default\" (unscaled RoPE) is supported")
            }
            if let t = rope["rope_theta"] {
                guard let v = t.double, v.isFinite else { throw hub.error("rope_parameters.rope_theta", "must be a number") }
                theta = Float(v)
            }
        }
        guard theta > 1 && theta.isFinite else { throw hub.error("rope_theta", "must be a number above 1 (got \(theta))") }
        var c = TransformerConfig()
        c.family = .decoderOnly
        c.dModel = d
        c.heads = heads
        c.kvHeads = kvHeads
        c.attention = kvHeads == heads ? .mha : .gqa
        c.decoderLayers = try hub.positive("num_hidden_layers")
        c.encoderLayers = 0
        c.ff = try hub.positive("intermediate_size")
        c.tgtVocab = try hub.positive("vocab_size")
        c.srcVocab = c.tgtVocab
        guard try hub.activation("hidden_act", default: "silu") == .silu else {
            throw hub.error("hidden_act", "must be silu: Llama's MLP is SwiGLU")
        }
        c.activation = .swiglu
        c.norm = .rmsNorm
        c.layerNormEps = try hub.float("rms_norm_eps", default: 1e-6)
        c.normFirst = true
        c.finalNorm = true
        c.positional = .rope
        c.ropeBase = theta
        c.maxLen = try hub.positive("max_position_embeddings", default: 2048)
        c.bias = false
        c.scaleEmbedding = false
        c.tieOutput = try hub.bool("tie_word_embeddings", default: false)
        c.outputBias = false
        c.outputHead = architecture.hasOutputHead
        // Padding is marked by explicit masks; a pad id (often <unk> or <eos>) may be a real token.
        c.padId = nil
        c.bosId = try hub.optionalInt("bos_token_id") ?? 1
        c.eosId = try hub.ints("eos_token_id").first ?? 2
        c.dropout = 0
        c.attentionDropout = hub.probability("attention_dropout")
        c.labelSmoothing = 0
        try hub.check(c, architecture)

        var m = HubMappings()
        let p = "model."
        m.map(p + "embed_tokens.weight", "embedding.tokens.weight", aliases: c.tieOutput && c.outputHead ? ["lm_head.weight"] : [])
        for i in 0..<c.decoderLayers {
            let h = "\(p)layers.\(i)", o = "decoder.layers.\(i)"
            m.map("\(h).input_layernorm.weight", "\(o).selfAttentionAddNorm.norm.weight")
            for (theirs, ours) in [("q_proj", "query"), ("k_proj", "key"), ("v_proj", "value"), ("o_proj", "output")] {
                m.map("\(h).self_attn.\(theirs).weight", "\(o).selfAttention.\(ours).weight")
            }
            m.map("\(h).post_attention_layernorm.weight", "\(o).feedForwardAddNorm.norm.weight")
            m.map("\(h).mlp.gate_proj.weight", "\(o).feedForward.linear1.weight")
            m.map("\(h).mlp.up_proj.weight", "\(o).feedForward.gate.weight")
            m.map("\(h).mlp.down_proj.weight", "\(o).feedForward.linear2.weight")
        }
        m.map(p + "norm.weight", "decoder.norm.weight")
        if c.outputHead && !c.tieOutput { m.map("lm_head.weight", "generator.weight") }
        return HubLayout(architecture: architecture, config: c, prefix: p, mappings: m.list) { name in
            // The RoPE frequencies older versions saved with every layer.
            name.hasPrefix("layers.") && name.hasSuffix(".self_attn.rotary_emb.inv_freq")
        }
    }
}
