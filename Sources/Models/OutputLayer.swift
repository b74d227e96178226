// The output layer (the paper, §3.4: the learned linear transformation whose softmax gives the
// next-token probabilities): a Linear of its own (`generator`) or the embedding's weights (tying),
// with a bias beside tied weights (Marian's final_logits_bias, BERT's prediction bias) and BERT's
// prediction-head transform (dense, activation, norm) before it.
import Layers

/// BERT's prediction-head transform: norm(activation(x·W + b)).
public final class PredictionTransform: Module {
    public let dense: Linear
    public let activation: Activation
    public let norm: Module & Normalizing

    init(config: TransformerConfig, generator: inout RandomGenerator) {
        dense = Linear(config.dModel, config.dModel, bias: true, generator: &generator)
        activation = config.activation
        norm = makeNorm(config.norm, config.dModel, eps: config.layerNormEps)
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { norm(activation(dense(x))) }

    /// The same for decoding, through the pre-packed kernel.
    public func inference(_ x: Tensor) -> Tensor { norm(activation(dense.inference(x))) }
}

/// The parts of a model's output layer.
struct OutputLayer {
    let transform: PredictionTransform?
    let linear: Linear?
    let tied: TokenEmbedding
    let tiedBias: Tensor?

    /// hidden [..., d] → logits [..., V]; `inference` uses the pre-packed kernels (decoding), as do
    /// passes without gradient in bfloat16 or int8. Tied weights project through the embedding's own
    /// packed table (one copy serves lookups and logits), the bias added in the kernel's epilogue:
    /// unpacked, every step of a batch or a beam packed the whole vocabulary × d_model matrix again,
    /// and a step of one row summed in another order than a step of several.
    func callAsFunction(_ hidden: Tensor, inference: Bool = false) -> Tensor {
        let x = transform.map { inference ? $0.inference(hidden) : $0(hidden) } ?? hidden
        if let linear { return inference ? linear.inference(x) : linear(x) }
        if inference || (tied.precision != .f32 && !GradMode.isEnabled) { return tied.packedWeight().apply(x, bias: tiedBias) }
        let logits = x.matmul(tied.weight, transposeB: true)
        return tiedBias.map { logits + $0 } ?? logits
    }
}

extension TransformerConfig {
    /// Key padding of int32 ids [B, T]: 1 where the id is `pad_id`; nil for a model without one.
    /// With `keepingFirst`, position 0 is never padding (the decoder's start token may be the pad id).
    public func keyPadding(_ ids: Tensor, keepingFirst: Bool = false) -> Tensor? {
        guard let padId else { return nil }
        let mask = AttentionMask.padding(ids, padId: Int32(padId))
        if keepingFirst && ids.rank == 2 { for b in 0..<ids.shape[0] { mask.data[b * ids.shape[1]] = 0 } }
        return mask
    }

    /// Checks that the model has an output layer before logits are asked of it.
    func requireOutputHead() {
        precondition(outputHead, "this model has no output layer (output_head false): it gives hidden states only")
    }
}
