// GPT-2 (GPT2LMHeadModel, GPT2Model) on our decoder-only model: Pre-LN with a final ln_f,
// learned positions (n_positions), gelu_new, attention and MLP weights stored by Conv1D as
// [in, out] (transposed on load), query/key/value packed in one c_attn [d, 3d] (split by rows),
// the LM head tied to wte, no embedding scaling and no pad token.
import Models

enum HubGPT2 {
    static func layout(_ hub: HubConfig, architecture: HubArchitecture) throws -> HubLayout {
        let d = try hub.positive("n_embd", default: try hub.optionalInt("hidden_size") ?? 768)
        let heads = try hub.positive("n_head", default: try hub.optionalInt("num_attention_heads") ?? 12)
        guard d % heads == 0 else { throw hub.error("n_head", "(\(heads)) must divide n_embd (\(d))") }
        try hub.require("scale_attn_weights", [.bool(true)], because: "only attention scaled by 1/√d_head is supported")
        try hub.require("scale_attn_by_inverse_layer_idx", [.bool(false)], because: "scaling attention by layer is not supported")
        try hub.require("add_cross_attention", [.bool(false)], because: "GPT-2 with cross-attention is not supported")
        var c = TransformerConfig()
        c.family = .decoderOnly
        c.dModel = d
        c.heads = heads
        c.decoderLayers = try hub.positive("n_layer", default: try hub.optionalInt("num_hidden_layers") ?? 12)
        c.encoderLayers = 0
        c.ff = try hub.positive("n_inner", default: 4 * d)
        c.tgtVocab = try hub.positive("vocab_size", default: 50257)
        c.srcVocab = c.tgtVocab
        c.activation = try hub.activation("activation_function", default: "gelu_new")
        guard c.activation != .swiglu else { throw hub.error("activation_function", "cannot be gated") }
        c.layerNormEps = try hub.float("layer_norm_epsilon", default: 1e-5)
        c.normFirst = true
        c.finalNorm = true
        c.positional = .learned
        c.maxLen = try hub.positive("n_positions", default: try hub.optionalInt("max_position_embeddings") ?? 1024)
        c.scaleEmbedding = false
        c.tieOutput = try hub.bool("tie_word_embeddings", default: true)
        c.outputBias = false
        c.outputHead = architecture.hasOutputHead
        // No pad token: padding is marked by explicit masks, never by a token value (HF users pad with <eos>).
        c.padId = nil
        let eos = try hub.ints("eos_token_id").first ?? c.tgtVocab - 1
        c.eosId = eos
        c.bosId = try hub.optionalInt("bos_token_id") ?? eos
        c.dropout = hub.probability("resid_pdrop")
        c.attentionDropout = hub.probability("attn_pdrop")
        c.activationDropout = 0  // its MLP has no dropout between the two projections
        c.labelSmoothing = 0
        try hub.check(c, architecture)

        var m = HubMappings()
        let p = "transformer."
        m.map(p + "wte.weight", "embedding.tokens.weight", aliases: c.tieOutput && c.outputHead ? ["lm_head.weight"] : [])
        m.map(p + "wpe.weight", "embedding.learned.weight")
        for i in 0..<c.decoderLayers {
            let h = "\(p)h.\(i)", o = "decoder.layers.\(i)"
            m.linear("\(h).ln_1", "\(o).selfAttentionAddNorm.norm", bias: true)
            let qkv = ["query", "key", "value"].map { "\(o).selfAttention.\($0)" }
            m.map("\(h).attn.c_attn.weight", qkv.map { $0 + ".weight" }, transposed: true)
            m.map("\(h).attn.c_attn.bias", qkv.map { $0 + ".bias" })
            m.linear("\(h).attn.c_proj", "\(o).selfAttention.output", bias: true, transposed: true)
            m.linear("\(h).ln_2", "\(o).feedForwardAddNorm.norm", bias: true)
            m.linear("\(h).mlp.c_fc", "\(o).feedForward.linear1", bias: true, transposed: true)
            m.linear("\(h).mlp.c_proj", "\(o).feedForward.linear2", bias: true, transposed: true)
        }
        m.linear(p + "ln_f", "decoder.norm", bias: true)
        if c.outputHead && !c.tieOutput { m.map("lm_head.weight", "generator.weight") }
        return HubLayout(architecture: architecture, config: c, prefix: p, mappings: m.list) { name in
            // The causal-mask buffers older versions saved with every layer.
            let parts = name.split(separator: ".")
            return parts.count == 4 && parts[0] == "h" && parts[2] == "attn" && (parts[3] == "bias" || parts[3] == "masked_bias")
        }
    }
}
