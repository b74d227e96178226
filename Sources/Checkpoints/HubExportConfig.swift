// Our configs as Hugging Face config.json: which architecture a config is (encoder-decoder →
// Marian; decoder-only → Llama when its positions are RoPE, else GPT-2; encoder-only → BERT),
// every feature that architecture cannot express refused by name and config key, and the
// config.json and generation_config.json written for it. What an architecture lacks but can hold
// exactly is planned here and done by `HubExport`: the √d_model embedding scale folded into the
// input embedding (a tied output layer untied, keeping the unscaled table), sinusoidal positions
// as GPT-2's or BERT's position table, absent biases and token types as zeros, and Marian's
// half-layout sinusoids reached by permuting the model dimension.
import JSONText
import Models

/// How one of our configs is written as a Hugging Face architecture.
struct HubExportPlan {
    let architecture: HubArchitecture
    /// config.json.
    let config: JSONValue
    /// generation_config.json, for the architectures that generate.
    let generation: JSONValue?
    /// Embeddings × √d_model folded into the input embedding's weights.
    let foldScale: Bool
    /// Sinusoidal positions written as a learned position table of max_len rows.
    let positionTable: Bool
    /// Interleaved sinusoids moved to Marian's halves by permuting d_model.
    let permute: Bool

    /// `search`: the beam settings the model ships with (num_beams, length_penalty, early_stopping
    /// of its own generation_config.json), carried into the Marian export's.
    init(_ c: TransformerConfig, dtype: String, search: GenerationDefaults? = nil) throws {
        try c.validate()
        let unsupported = Unsupported(config: c)
        try unsupported.require(c.attention != .mla, "attention", "mla (multi-head latent attention)",
                                "no Hugging Face architecture this package writes has it")
        try unsupported.require(c.positional != .alibi, "positional", "alibi (ALiBi)",
                                "no Hugging Face architecture this package writes has it")
        try unsupported.require(c.scaleAttention, "scale_attention", "false", "every Hugging Face architecture divides the scores by √d_k")
        try unsupported.require(c.residual, "residual", "false", "every Hugging Face architecture has residual connections")
        try unsupported.require(!c.lengthHead, "length_head", "true", "no Hugging Face architecture has a length predictor")
        switch c.family {
        case .encoderDecoder: architecture = .marianMT
        case .decoderOnly: architecture = c.positional == .rope ? (c.outputHead ? .llamaForCausalLM : .llama) : (c.outputHead ? .gpt2LMHead : .gpt2)
        case .encoderOnly: architecture = c.outputHead ? .bertForMaskedLM : .bert
        }
        let need = unsupported.as(architecture)
        let marian = architecture == .marianMT
        foldScale = c.scaleEmbedding && !marian
        positionTable = c.positional == .sinusoidal && !marian
        permute = marian && c.sinusoidalLayout == .interleaved
        let untied = c.outputHead && !c.tieOutput || foldScale
        var m: [(String, JSONValue)] = [("architectures", .array([.string(architecture.rawValue)])), ("model_type", .string(architecture.modelType))]
        func int(_ k: String, _ v: Int) { m.append((k, .integer(v))) }
        func float(_ k: String, _ v: Float) { m.append((k, .number("\(v)"))) }
        func bool(_ k: String, _ v: Bool) { m.append((k, .bool(v))) }
        func string(_ k: String, _ v: String) { m.append((k, .string(v))) }
        func id(_ k: String, _ v: Int?) { m.append((k, v.map { .integer($0) } ?? .null)) }
        let attentionDropout = c.attentionDropout ?? c.dropout
        var generation: [(String, JSONValue)] = [("bos_token_id", .integer(c.bosId)), ("eos_token_id", .integer(c.eosId))]
        generation.append(("pad_token_id", c.padId.map { .integer($0) } ?? .null))

        switch architecture {
        case .marianMT:
            try need(!c.normFirst, "norm_first", "true (Pre-LN)", "Marian is Post-LN")
            try need(!c.finalNorm, "final_norm", "true (a norm after each stack)", "Marian's Post-LN stacks end without one")
            try need(c.norm == .layerNorm, "norm", c.norm.rawValue, "Marian uses LayerNorm")
            try need(c.layerNormEps == 1e-5, "layer_norm_eps", "\(c.layerNormEps)", "Marian's LayerNorm ε is fixed at 1e-05")
            try need(c.positional == .sinusoidal, "positional", c.positional.rawValue, "Marian's positions are static sinusoids")
            try need(c.outputHead, "output_head", "false", "MarianMTModel has an output layer")
            try Unsupported.common(need, c, "Marian")
            guard let pad = c.padId else {
                throw ConfigError("cannot export this encoder-decoder as Marian: pad_id is null; Marian needs a pad token")
            }
            int("vocab_size", c.srcVocab); int("decoder_vocab_size", c.tgtVocab)
            bool("share_encoder_decoder_embeddings", c.shareEmbeddings)
            int("d_model", c.dModel)
            int("encoder_layers", c.encoderLayers); int("decoder_layers", c.decoderLayers)
            int("encoder_attention_heads", c.heads); int("decoder_attention_heads", c.heads)
            int("encoder_ffn_dim", c.ff); int("decoder_ffn_dim", c.ff)
            string("activation_function", c.activation == .silu ? "swish" : Unsupported.activationName(c.activation))
            int("max_position_embeddings", c.maxLen)
            bool("scale_embedding", c.scaleEmbedding)
            bool("tie_word_embeddings", c.tieOutput)
            float("dropout", c.dropout); float("attention_dropout", attentionDropout); float("activation_dropout", c.activationDropout ?? c.dropout)
            int("pad_token_id", pad); int("eos_token_id", c.eosId); int("bos_token_id", c.bosId)
            int("decoder_start_token_id", c.startId)
            // MarianConfig's default (0) would force token 0 at the length cap; ours forces nothing.
            id("forced_eos_token_id", nil)
            bool("is_encoder_decoder", true)
            generation.append(("decoder_start_token_id", .integer(c.startId)))
            // Marian never generates its pad token (transformers: by bad_words_ids, as opus-mt ships it).
            let banned = ([pad] + c.suppressedIds.filter { $0 != pad }).map { JSONValue.array([.integer($0)]) }
            generation.append(("bad_words_ids", .array(banned)))
            generation.append(("max_length", .integer(c.maxLen)))
            // The model's tuned search, else our translator's default beam (the paper's) with
            // transformers' default length penalty.
            generation.append(("num_beams", .integer(search?.numBeams ?? 4)))
            if let alpha = search?.lengthPenalty { generation.append(("length_penalty", .number("\(alpha)"))) }
            if let stop = search?.earlyStopping {
                generation.append(("early_stopping", stop == .never ? .string("never") : .bool(stop == .yes)))
            }
        case .gpt2LMHead, .gpt2:
            let hint = " (a decoder-only model exports as Llama when positional is rope)"
            try need(c.norm == .layerNorm, "norm", c.norm.rawValue, "GPT-2 uses LayerNorm" + hint)
            try need(c.normFirst, "norm_first", "false (Post-LN)", "GPT-2 is Pre-LN")
            try need(c.finalNorm, "final_norm", "false", "GPT-2 ends with a norm (ln_f)")
            try need(!c.outputHead || !c.hasOutputBias, "output_bias", "true", "GPT-2's lm_head has no bias")
            try Unsupported.common(need, c, "GPT-2" + hint)
            int("vocab_size", c.tgtVocab); int("n_positions", c.maxLen); int("n_embd", c.dModel)
            int("n_layer", c.decoderLayers); int("n_head", c.heads); int("n_inner", c.ff)
            string("activation_function", Unsupported.activationName(c.activation))
            float("layer_norm_epsilon", c.layerNormEps)
            float("resid_pdrop", c.dropout); float("embd_pdrop", c.dropout); float("attn_pdrop", attentionDropout)
            bool("scale_attn_weights", true); bool("scale_attn_by_inverse_layer_idx", false); bool("reorder_and_upcast_attn", false)
            bool("tie_word_embeddings", !untied)
            int("bos_token_id", c.bosId); int("eos_token_id", c.eosId); id("pad_token_id", c.padId)
        case .llamaForCausalLM, .llama:
            try need(c.norm == .rmsNorm, "norm", c.norm.rawValue, "Llama uses RMSNorm")
            try need(c.normFirst, "norm_first", "false (Post-LN)", "Llama is Pre-LN")
            try need(c.finalNorm, "final_norm", "false", "Llama ends with a norm")
            try need(c.activation == .swiglu, "activation", c.activation.rawValue, "Llama's MLP is SwiGLU")
            try need(!c.bias, "bias", "true", "Llama has no biases")
            try need(!c.outputHead || !c.hasOutputBias, "output_bias", "true", "Llama's lm_head has no bias")
            try need(!c.embeddingNorm, "embedding_norm", "true", "Llama has no norm after the embedding")
            try need(c.typeVocab == 0, "type_vocab", "\(c.typeVocab)", "Llama has no token types")
            try need(!c.outputTransform, "output_transform", "true", "Llama's head is one linear layer")
            int("vocab_size", c.tgtVocab); int("hidden_size", c.dModel); int("intermediate_size", c.ff)
            int("num_hidden_layers", c.decoderLayers); int("num_attention_heads", c.heads)
            int("num_key_value_heads", c.keyValueHeads); int("head_dim", c.headDimension)
            string("hidden_act", "silu")
            int("max_position_embeddings", c.maxLen)
            float("rms_norm_eps", c.layerNormEps)
            m.append(("rope_parameters", .object([("rope_theta", .number("\(c.ropeBase)")), ("rope_type", .string("default"))])))
            bool("attention_bias", false); bool("mlp_bias", false)
            float("attention_dropout", attentionDropout)
            bool("tie_word_embeddings", !untied)
            int("bos_token_id", c.bosId); int("eos_token_id", c.eosId); id("pad_token_id", c.padId)
        case .bertForMaskedLM, .bertForPreTraining, .bert:
            try need(!c.normFirst, "norm_first", "true (Pre-LN)", "BERT is Post-LN")
            try need(!c.finalNorm, "final_norm", "true (a norm after the stack)", "BERT's Post-LN stack ends without one")
            try need(c.norm == .layerNorm, "norm", c.norm.rawValue, "BERT uses LayerNorm")
            try need(c.embeddingNorm, "embedding_norm", "false", "BERT normalises the sum of its embeddings")
            try need(!c.outputHead || c.outputTransform, "output_transform", "false",
                     "BERT's masked-LM head has the dense + activation + norm transform (output_head false exports a bare BertModel)")
            try need(c.positional == .learned || c.positional == .sinusoidal, "positional", c.positional.rawValue,
                     "BERT's positions are a table added to the embeddings")
            try Unsupported.common(need, c, "BERT")
            int("vocab_size", c.srcVocab); int("hidden_size", c.dModel); int("num_hidden_layers", c.encoderLayers)
            int("num_attention_heads", c.heads); int("intermediate_size", c.ff)
            string("hidden_act", Unsupported.activationName(c.activation))
            float("hidden_dropout_prob", c.dropout); float("attention_probs_dropout_prob", attentionDropout)
            int("max_position_embeddings", c.maxLen)
            // BERT always adds a token-type embedding: without types ours is one row of zeros.
            int("type_vocab_size", max(c.typeVocab, 1))
            float("layer_norm_eps", c.layerNormEps)
            id("pad_token_id", c.padId)
            string("position_embedding_type", "absolute")
            bool("tie_word_embeddings", !untied)
        }
        string("dtype", dtype)
        config = .object(m)
        // transformers' generate: Marian, GPT-2 and Llama; BERT does not generate.
        let suppressed = c.suppressedIds.map { JSONValue.array([.integer($0)]) }
        if !marian && !suppressed.isEmpty { generation.append(("bad_words_ids", .array(suppressed))) }
        self.generation = [.bert, .bertForMaskedLM, .bertForPreTraining].contains(architecture) ? nil : .object(generation)
    }
}

/// Errors that name what an architecture cannot express, with the config key that holds it.
private struct Unsupported {
    let config: TransformerConfig

    var familyName: String { config.family.rawValue }

    func require(_ ok: Bool, _ key: String, _ value: String, _ why: String) throws {
        if !ok { throw ConfigError("cannot export this \(familyName) model to Hugging Face: \(key) \(value): \(why)") }
    }

    func `as`(_ architecture: HubArchitecture) -> (Bool, String, String, String) throws -> Void {
        let name = architecture.rawValue
        return { ok, key, value, why in
            if !ok { throw ConfigError("cannot export this \(familyName) model as \(name): \(key) \(value): \(why)") }
        }
    }

    /// What Marian, GPT-2 and BERT share: one key/value head per query head, an ungated
    /// feed-forward, and (GPT-2, Marian) none of BERT's parts.
    static func common(_ need: (Bool, String, String, String) throws -> Void, _ c: TransformerConfig, _ name: String) throws {
        try need(c.keyValueHeads == c.heads, "kv_heads", "\(c.keyValueHeads) (attention \(c.attention.rawValue))",
                 "\(name) has one key/value head per query head (\(c.heads))")
        try need(c.activation != .swiglu, "activation", "swiglu", "\(name)'s feed-forward is not gated")
        guard c.family != .encoderOnly else { return }
        try need(!c.embeddingNorm, "embedding_norm", "true", "\(name) has no norm after the embedding")
        try need(c.typeVocab == 0, "type_vocab", "\(c.typeVocab)", "\(name) has no token types")
        try need(!c.outputTransform, "output_transform", "true", "\(name)'s head is one linear layer")
    }

    /// transformers' name (ACT2FN) for an ungated activation.
    static func activationName(_ a: Activation) -> String {
        switch a {
        case .relu: return "relu"
        case .gelu: return "gelu"
        case .geluTanh: return "gelu_new"
        case .silu, .swiglu: return "silu"
        }
    }
}
