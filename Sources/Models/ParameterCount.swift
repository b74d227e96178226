// What a configuration costs before anything is built: its parameters per component, counted
// from the dimensions alone, and the bytes a model of it needs. `inspect` shows them, and every
// model checks them before allocating, so an absurd config is an error, not an allocation failure.
import Foundation

extension TransformerConfig {
    /// Parameters per component, in the order the model lists them (the names `ModelSummary` uses:
    /// a stack's layers summed per sublayer, Add & Norm's norms as "norms").
    public func parameterCounts() -> [(component: String, parameters: Int)] {
        var out: [(String, Int)] = []
        func add(_ name: String, _ n: Int) {
            guard n > 0 else { return }
            if let i = out.firstIndex(where: { $0.0 == name }) { out[i].1 += n } else { out.append((name, n)) }
        }
        let d = dModel, b = bias
        func linear(_ i: Int, _ o: Int, bias: Bool) -> Int { i * o + (bias ? o : 0) }
        let norm = self.norm == .rmsNorm ? d : 2 * d   // BatchNorm's running averages are not parameters
        let multiHead = 2 * linear(d, d, bias: b) + 2 * linear(d, keyValueHeads * headDimension, bias: b)
        let latent: Int = {
            let qWidth = heads * (headDimension + mlaRopeDim)
            let query = mlaQueryLatent.map { d * $0 + $0 + $0 * qWidth } ?? d * qWidth
            return query + d * mlaLatent + mlaLatent + 2 * mlaLatent * heads * headDimension + d * mlaRopeDim + d * d
        }()
        let feedForward = linear(d, ff, bias: b) * (activation == .swiglu ? 2 : 1) + linear(ff, d, bias: b)
        func embedding(_ name: String, _ vocab: Int, shared: Bool) {
            if !shared { add("\(name).tokens", vocab * d) }
            if positional == .learned { add("\(name).learned", maxLen * d) }
            add("\(name).types", typeVocab * d)
            if embeddingNorm { add("\(name).norm", norm) }
        }
        /// The output layer: a Linear of its own, or a bias beside tied weights; BERT's transform.
        func output() {
            guard outputHead else { return }
            if !tieOutput { add("generator", linear(d, outputVocab, bias: hasOutputBias)) }
            if outputTransform {
                add("outputTransform.dense", linear(d, d, bias: true))
                add("outputTransform.norm", norm)
            }
            if tieOutput && hasOutputBias { add("outputBias", outputVocab) }
        }
        func encoder() {
            add("encoder.selfAttention", encoderLayers * multiHead)
            add("encoder.norms", encoderLayers * 2 * norm)
            add("encoder.feedForward", encoderLayers * feedForward)
            if finalNorm { add("encoder.norm", norm) }
        }
        func decoder(cross: Bool) {
            add("decoder.selfAttention", decoderLayers * (attention == .mla ? latent : multiHead))
            add("decoder.norms", decoderLayers * (cross ? 3 : 2) * norm)
            if cross { add("decoder.crossAttention", decoderLayers * multiHead) }
            add("decoder.feedForward", decoderLayers * feedForward)
            if finalNorm { add("decoder.norm", norm) }
        }
        switch family {
        case .encoderDecoder:
            embedding("sourceEmbedding", srcVocab, shared: false)
            embedding("targetEmbedding", tgtVocab, shared: shareEmbeddings)
            encoder()
            decoder(cross: true)
        case .decoderOnly:
            embedding("embedding", tgtVocab, shared: false)
            decoder(cross: false)
        case .encoderOnly:
            embedding("embedding", srcVocab, shared: false)
            encoder()
        }
        output()
        if lengthHead && family == .encoderDecoder { add("lengthPredictor.classifier", linear(d, maxLen, bias: true)) }
        return out.map { (component: $0.0, parameters: $0.1) }
    }

    /// All parameters.
    public var parameterCount: Int { parameterCounts().reduce(0) { $0 + $1.parameters } }

    /// Bytes a model of this config holds at float32: its parameters and the sinusoidal table.
    public var modelBytes: Int {
        (parameterCount + (positional == .sinusoidal ? maxLen * dModel : 0)) * MemoryLayout<Float>.size
    }

    /// The most memory a model's weights may take: 64 GiB, or less on a smaller machine.
    public static var modelByteLimit: Int {
        min(64 << 30, Int(ProcessInfo.processInfo.physicalMemory))
    }

    /// Refuses a config whose model would not fit in memory, naming the size, before anything is allocated.
    public func checkModelFits() throws {
        let bytes = modelBytes, limit = TransformerConfig.modelByteLimit
        guard bytes <= limit else {
            throw ConfigError("this config has \(parameterCount) parameters: its model needs \(TransformerConfig.gigabytes(bytes)) "
                              + "at float32, more than the \(TransformerConfig.gigabytes(limit)) a model may take here: "
                              + "check d_model, ff, the layer counts, the vocabulary sizes and max_len")
        }
    }

    static func gigabytes(_ bytes: Int) -> String { String(format: "%.1f GB", Double(bytes) / 1e9) }
}
