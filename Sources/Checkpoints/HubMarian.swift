// Marian (MarianMTModel, the Helsinki-NLP opus-mt models) on our encoder-decoder: Post-LN with
// no norm after either stack, static sinusoidal positions from 0 with every sine before every
// cosine (`SinusoidalLayout.halves`), embeddings × √d_model (scale_embedding), swish/relu/gelu,
// biases everywhere, embeddings shared by encoder and decoder and tied to the output layer (or
// not), final_logits_bias beside the output layer, decoding from decoder_start_token_id (its pad
// id), and the pad token never generated.
import Models

enum HubMarian {
    static func layout(_ hub: HubConfig, architecture: HubArchitecture, generation: GenerationDefaults) throws -> HubLayout {
        let d = try hub.positive("d_model", default: 1024)
        let heads = try hub.positive("encoder_attention_heads", default: 16)
        guard try hub.positive("decoder_attention_heads", default: 16) == heads else {
            throw hub.error("decoder_attention_heads", "must equal encoder_attention_heads (\(heads))")
        }
        guard d % heads == 0 else { throw hub.error("encoder_attention_heads", "(\(heads)) must divide d_model (\(d))") }
        let ff = try hub.positive("encoder_ffn_dim", default: 4096)
        guard try hub.positive("decoder_ffn_dim", default: 4096) == ff else { throw hub.error("decoder_ffn_dim", "must equal encoder_ffn_dim (\(ff))") }
        try hub.require("normalize_before", [.bool(false)], because: "only Post-LN Marian models are supported")
        try hub.require("add_final_layer_norm", [.bool(false)], because: "final layer norms are not supported for Marian")
        try hub.require("normalize_embedding", [.bool(false)], because: "an embedding norm is not supported for Marian")
        try hub.require("static_position_embeddings", [.bool(true)], because: "only static sinusoidal positions are supported")
        var c = TransformerConfig()
        c.family = .encoderDecoder
        c.dModel = d
        c.heads = heads
        c.encoderLayers = try hub.positive("encoder_layers", default: 12)
        c.decoderLayers = try hub.positive("decoder_layers", default: 12)
        c.ff = ff
        c.shareEmbeddings = try hub.bool("share_encoder_decoder_embeddings", default: true)
        c.srcVocab = try hub.positive("vocab_size", default: 58101)
        c.tgtVocab = c.shareEmbeddings ? c.srcVocab : try hub.positive("decoder_vocab_size", default: c.srcVocab)
        c.activation = try hub.activation("activation_function", default: "gelu")
        c.normFirst = false
        c.finalNorm = false
        c.positional = .sinusoidal
        c.sinusoidalLayout = .halves
        c.maxLen = try hub.positive("max_position_embeddings", default: 1024)
        c.scaleEmbedding = try hub.bool("scale_embedding", default: false)
        c.tieOutput = try hub.bool("tie_word_embeddings", default: true)
        // final_logits_bias: an untied output layer's Linear bias, or a vector of its own beside tied weights.
        c.outputBias = true
        let pad = try hub.int("pad_token_id", default: 58100)
        c.padId = pad
        c.eosId = try hub.ints("eos_token_id").first ?? 0
        let configStart = try hub.optionalInt("decoder_start_token_id")
        c.decoderStartId = generation.decoderStartTokenId ?? configStart ?? pad
        c.bosId = try hub.optionalInt("bos_token_id") ?? c.eosId
        c.suppressedIds = Array(Set(generation.suppressedIds + [pad])).sorted()
        c.dropout = hub.probability("dropout")
        c.attentionDropout = hub.probability("attention_dropout")
        c.activationDropout = hub.probability("activation_dropout")
        c.labelSmoothing = 0
        try hub.check(c, architecture)

        var m = HubMappings()
        let p = "model."
        let encoderTokens = ["shared.weight", "encoder.embed_tokens.weight"].map { p + $0 }
        let decoderTokens = [p + "decoder.embed_tokens.weight"] + (c.tieOutput ? ["lm_head.weight"] : [])
        if c.shareEmbeddings {
            m.map(encoderTokens[0], "sourceEmbedding.tokens.weight", aliases: Array(encoderTokens.dropFirst()) + decoderTokens)
        } else {
            m.map(encoderTokens[1], "sourceEmbedding.tokens.weight")
            m.map(decoderTokens[0], "targetEmbedding.tokens.weight", aliases: Array(decoderTokens.dropFirst()))
        }
        for (stack, count) in [("encoder", c.encoderLayers), ("decoder", c.decoderLayers)] {
            for i in 0..<count {
                let h = "\(p)\(stack).layers.\(i)", o = "\(stack).layers.\(i)"
                attention(&m, "\(h).self_attn", "\(o).selfAttention")
                m.linear("\(h).self_attn_layer_norm", "\(o).selfAttentionAddNorm.norm", bias: true)
                if stack == "decoder" {
                    attention(&m, "\(h).encoder_attn", "\(o).crossAttention")
                    m.linear("\(h).encoder_attn_layer_norm", "\(o).crossAttentionAddNorm.norm", bias: true)
                }
                m.linear("\(h).fc1", "\(o).feedForward.linear1", bias: true)
                m.linear("\(h).fc2", "\(o).feedForward.linear2", bias: true)
                m.linear("\(h).final_layer_norm", "\(o).feedForwardAddNorm.norm", bias: true)
            }
        }
        if !c.tieOutput { m.map("lm_head.weight", "generator.weight") }
        m.map("final_logits_bias", [c.tieOutput ? "outputBias" : "generator.bias"], storedShape: [1, c.tgtVocab], optional: true)
        return HubLayout(architecture: architecture, config: c, prefix: p, mappings: m.list) { name in
            // The sinusoid tables: computed here, as transformers computes them.
            name == "encoder.embed_positions.weight" || name == "decoder.embed_positions.weight"
        }
    }

    private static func attention(_ m: inout HubMappings, _ theirs: String, _ ours: String) {
        for (t, o) in [("q_proj", "query"), ("k_proj", "key"), ("v_proj", "value"), ("out_proj", "output")] {
            m.linear("\(theirs).\(t)", "\(ours).\(o)", bias: true)
        }
    }
}
