// BERT (BertForMaskedLM, BertForPreTraining, BertModel) on our encoder-only model: word, learned
// position and token-type embeddings summed and normalised (no √d scaling), Post-LN layers,
// exact GELU (or hidden_act), and the masked-LM head: the prediction transform (dense,
// activation, LayerNorm), then the decoder tied to the word embeddings plus cls.predictions.bias.
// A bare BertModel gives hidden states only; its pooler (and BertForPreTraining's next-sentence
// head) are accepted and ignored.
import Models

enum HubBERT {
    static func layout(_ hub: HubConfig, architecture: HubArchitecture) throws -> HubLayout {
        let d = try hub.positive("hidden_size", default: 768)
        let heads = try hub.positive("num_attention_heads", default: 12)
        guard d % heads == 0 else { throw hub.error("num_attention_heads", "(\(heads)) must divide hidden_size (\(d))") }
        try hub.require("position_embedding_type", [.string("absolute")], because: "only absolute position embeddings are supported")
        try hub.require("is_decoder", [.bool(false)], because: "BERT as a decoder is not supported")
        try hub.require("add_cross_attention", [.bool(false)], because: "BERT with cross-attention is not supported")
        var c = TransformerConfig()
        c.family = .encoderOnly
        c.dModel = d
        c.heads = heads
        c.encoderLayers = try hub.positive("num_hidden_layers", default: 12)
        c.decoderLayers = 0
        c.ff = try hub.positive("intermediate_size", default: 3072)
        c.srcVocab = try hub.positive("vocab_size", default: 30522)
        c.tgtVocab = c.srcVocab
        c.activation = try hub.activation("hidden_act", default: "gelu")
        c.layerNormEps = try hub.float("layer_norm_eps", default: 1e-12)
        c.normFirst = false
        c.finalNorm = false
        c.positional = .learned
        c.maxLen = try hub.positive("max_position_embeddings", default: 512)
        c.typeVocab = try hub.int("type_vocab_size", default: 2)
        c.embeddingNorm = true
        c.scaleEmbedding = false
        c.outputHead = architecture.hasOutputHead
        c.outputTransform = c.outputHead
        c.tieOutput = try hub.bool("tie_word_embeddings", default: true)
        c.outputBias = true
        // [PAD] never occurs in text: masking it by value is what the tokenizer's attention mask does.
        c.padId = try hub.optionalInt("pad_token_id")
        // BERT has no <bos>/<eos>; encoder-only models never use them.
        c.bosId = c.padId ?? 0
        c.eosId = c.padId ?? 0
        c.dropout = hub.probability("hidden_dropout_prob")
        c.attentionDropout = hub.probability("attention_probs_dropout_prob")
        c.activationDropout = 0  // its MLP has no dropout between the two projections
        c.labelSmoothing = 0
        try hub.check(c, architecture)

        var m = HubMappings()
        let p = "bert."
        m.map(p + "embeddings.word_embeddings.weight", "embedding.tokens.weight",
              aliases: c.tieOutput && c.outputHead ? ["cls.predictions.decoder.weight"] : [])
        m.map(p + "embeddings.position_embeddings.weight", "embedding.learned.weight")
        if c.typeVocab > 0 { m.map(p + "embeddings.token_type_embeddings.weight", "embedding.types.weight") }
        m.linear(p + "embeddings.LayerNorm", "embedding.norm", bias: true, legacyNorm: true)
        for i in 0..<c.encoderLayers {
            let h = "\(p)encoder.layer.\(i)", o = "encoder.layers.\(i)"
            for kind in ["query", "key", "value"] { m.linear("\(h).attention.self.\(kind)", "\(o).selfAttention.\(kind)", bias: true) }
            m.linear("\(h).attention.output.dense", "\(o).selfAttention.output", bias: true)
            m.linear("\(h).attention.output.LayerNorm", "\(o).selfAttentionAddNorm.norm", bias: true, legacyNorm: true)
            m.linear("\(h).intermediate.dense", "\(o).feedForward.linear1", bias: true)
            m.linear("\(h).output.dense", "\(o).feedForward.linear2", bias: true)
            m.linear("\(h).output.LayerNorm", "\(o).feedForwardAddNorm.norm", bias: true, legacyNorm: true)
        }
        if c.outputHead {
            m.linear("cls.predictions.transform.dense", "outputTransform.dense", bias: true)
            m.linear("cls.predictions.transform.LayerNorm", "outputTransform.norm", bias: true, legacyNorm: true)
            if !c.tieOutput { m.map("cls.predictions.decoder.weight", "generator.weight") }
            // The decoder's bias is the same tensor as cls.predictions.bias (tied in transformers).
            m.map("cls.predictions.bias", [c.tieOutput ? "outputBias" : "generator.bias"], aliases: ["cls.predictions.decoder.bias"])
        }
        return HubLayout(architecture: architecture, config: c, prefix: p, mappings: m.list) { name in
            name.hasPrefix("pooler.") || name.hasPrefix("cls.seq_relationship.") || name == "embeddings.position_ids"
                || (!c.outputHead && name.hasPrefix("cls."))
        }
    }
}
