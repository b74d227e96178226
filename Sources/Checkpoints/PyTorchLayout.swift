// The PyTorch reference layout of an encoder-decoder: `src_embed`, `tgt_embed` (nn.Embedding),
// `transformer` = torch.nn.Transformer(batch_first=True) and `generator` = nn.Linear. Maps each
// of its state_dict tensors onto our parameters; nn.MultiheadAttention packs W_Q, W_K, W_V
// into one `in_proj_weight` [3d, d], which maps onto three of ours by rows.
import Models

public struct PyTorchTensorMapping {
    /// The PyTorch state_dict name.
    public let name: String
    /// Our parameter names, stacked along the first axis in this order.
    public let parts: [String]
}

public enum PyTorchLayout {
    /// The tensor that marks a file as written in this layout.
    public static let marker = "transformer.encoder.layers.0.self_attn.in_proj_weight"

    /// Checks that `config` describes a model this layout can hold; the error names the first key that does not fit.
    public static func check(_ config: TransformerConfig) throws {
        let c = config
        let needs: [(Bool, String)] = [
            (c.family == .encoderDecoder, "family \(c.family.rawValue): it holds an encoder-decoder"),
            (c.attention != .mla && c.keyValueHeads == c.heads, "attention \(c.attention.rawValue): nn.MultiheadAttention has one key/value head per query head"),
            (c.norm == .layerNorm, "norm \(c.norm.rawValue): it has LayerNorm"),
            (c.finalNorm, "final_norm false: nn.Transformer ends each stack with a norm"),
            (c.bias, "bias false: its projections have biases"),
            (c.positional == .sinusoidal, "positional \(c.positional.rawValue): it adds sinusoidal positions"),
            (!c.shareEmbeddings, "share_embeddings true: it has separate src_embed and tgt_embed"),
            (!c.tieOutput, "tie_output true: its generator is a Linear of its own"),
            (c.activation != .swiglu, "activation swiglu: its feed-forward is not gated"),
            (c.scaleAttention, "scale_attention false: nn.MultiheadAttention divides the scores by √d_k"),
            (c.residual, "residual false: nn.Transformer's layers always add the residual"),
            (!c.lengthHead, "length_head true: nn.Transformer has no length predictor"),
            (!c.embeddingNorm && c.typeVocab == 0 && c.outputHead && !c.outputTransform && c.hasOutputBias,
             "embedding_norm, type_vocab, output_head, output_transform and output_bias must have their defaults"),
        ]
        if let problem = needs.first(where: { !$0.0 }) {
            throw ConfigError("the PyTorch reference layout (torch.nn.Transformer) cannot hold this model: \(problem.1)")
        }
    }

    public static func mappings(for config: TransformerConfig) -> [PyTorchTensorMapping] {
        var out: [PyTorchTensorMapping] = []
        func map(_ torch: String, _ ours: String...) { out.append(PyTorchTensorMapping(name: torch, parts: ours)) }
        func attention(_ torch: String, _ ours: String) {
            for kind in ["weight", "bias"] {
                map("\(torch).in_proj_\(kind)", "\(ours).query.\(kind)", "\(ours).key.\(kind)", "\(ours).value.\(kind)")
                map("\(torch).out_proj.\(kind)", "\(ours).output.\(kind)")
            }
        }
        func linearOrNorm(_ torch: String, _ ours: String) {
            map("\(torch).weight", "\(ours).weight")
            map("\(torch).bias", "\(ours).bias")
        }
        map("src_embed.weight", "sourceEmbedding.tokens.weight")
        map("tgt_embed.weight", "targetEmbedding.tokens.weight")
        for i in 0..<config.encoderLayers {
            let t = "transformer.encoder.layers.\(i)", o = "encoder.layers.\(i)"
            attention("\(t).self_attn", "\(o).selfAttention")
            linearOrNorm("\(t).linear1", "\(o).feedForward.linear1")
            linearOrNorm("\(t).linear2", "\(o).feedForward.linear2")
            linearOrNorm("\(t).norm1", "\(o).selfAttentionAddNorm.norm")
            linearOrNorm("\(t).norm2", "\(o).feedForwardAddNorm.norm")
        }
        linearOrNorm("transformer.encoder.norm", "encoder.norm")
        for i in 0..<config.decoderLayers {
            let t = "transformer.decoder.layers.\(i)", o = "decoder.layers.\(i)"
            attention("\(t).self_attn", "\(o).selfAttention")
            attention("\(t).multihead_attn", "\(o).crossAttention")
            linearOrNorm("\(t).linear1", "\(o).feedForward.linear1")
            linearOrNorm("\(t).linear2", "\(o).feedForward.linear2")
            linearOrNorm("\(t).norm1", "\(o).selfAttentionAddNorm.norm")
            linearOrNorm("\(t).norm2", "\(o).crossAttentionAddNorm.norm")
            linearOrNorm("\(t).norm3", "\(o).feedForwardAddNorm.norm")
        }
        linearOrNorm("transformer.decoder.norm", "decoder.norm")
        linearOrNorm("generator", "generator")
        return out
    }
}
