// The bytes of weights one incremental decoding step reads (CTranslate2 and Marian users size int8
// and bfloat16 by it): at small batches decoding is bound by streaming them from memory, so
// bytes × steps/s against the machine's memory bandwidth says how far from its limit it runs.
import Layers

extension EncoderDecoderModel {
    /// Every decoder linear layer as packed for inference, but the cross-attention keys and values
    /// (made once per sentence), and the output layer (its own or the tied embedding table).
    public var decodingWeightBytesPerStep: Int {
        let once = Set(decoder.layers.flatMap { layer in
            [layer.crossAttention?.key, layer.crossAttention?.value].compactMap { $0.map(ObjectIdentifier.init) }
        })
        let linears = decoder.modules().compactMap { $0 as? Linear }.filter { !once.contains(ObjectIdentifier($0)) }
        let output = generator.map { $0.packedWeight().byteCount } ?? targetEmbedding.tokens.packedWeight().byteCount
        return output + linears.reduce(0) { bytes, linear in
            // Layers whose owner reads the float weight itself (MLA's absorbed up-projections).
            bytes + (linear.followsInferencePrecision ? linear.packedWeight().byteCount : linear.weight.count * 4)
        }
    }
}
