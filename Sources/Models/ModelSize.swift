// What a config costs before anything is allocated: its parameter count from the config's numbers
// alone, so a config from a file with absurd sizes (d_model 10⁶, 10⁸ layers) is refused with a
// clear error instead of an allocation the machine cannot make.
import Foundation

public struct ModelSize: Sendable {
    /// Parameters plus precomputed tables (sinusoidal positions), in Double so no size overflows.
    public let parameters: Double

    /// The most bytes of float32 weights a model may take: 64 GiB, or less on a smaller machine.
    public static var byteLimit: Double { min(64 * 1_073_741_824, Double(ProcessInfo.processInfo.physicalMemory)) }

    public init(config c: TransformerConfig) {
        let d = Double(c.dModel), ff = Double(c.ff), kv = Double(c.keyValueHeads * c.headDimension)
        let bias = c.bias ? 1.0 : 0
        let norm = c.norm == .layerNorm ? 2 * d : d
        let attention = 2 * d * d + 2 * d * kv + bias * (2 * d + 2 * kv) + norm
        let ffn = (c.activation == .swiglu ? 3 : 2) * d * ff + bias * ((c.activation == .swiglu ? 2 : 1) * ff + d) + norm
        let encoder = c.family == .decoderOnly ? 0 : Double(c.encoderLayers) * (attention + ffn)
        let decoder = c.family == .encoderOnly ? 0 : Double(c.decoderLayers) * ((c.family == .encoderDecoder ? 2 : 1) * attention + ffn)
        let inputVocab = Double(c.family == .decoderOnly ? c.tgtVocab : c.srcVocab)
        var embeddings = inputVocab * d
        if c.family == .encoderDecoder && !c.shareEmbeddings { embeddings += Double(c.tgtVocab) * d }
        let positions = (c.positional == .learned || c.positional == .sinusoidal ? Double(c.maxLen) * d : 0)
            * (c.family == .encoderDecoder ? 2 : 1)
        let inputs = embeddings + positions + Double(c.typeVocab) * d + (c.embeddingNorm ? norm : 0)
        let vocab = Double(c.outputVocab)
        let output = !c.outputHead ? 0 : (c.tieOutput ? 0 : vocab * d) + (c.hasOutputBias ? vocab : 0) + (c.outputTransform ? d * d + d + norm : 0)
        parameters = inputs + encoder + decoder + output + 2 * norm
    }

    /// Bytes as float32.
    public var bytes: Double { 4 * parameters }

    /// Throws when the model would not fit (`byteLimit`).
    public func checkFits() throws {
        guard bytes <= ModelSize.byteLimit else {
            let gib = { (b: Double) in String(format: "%.1f GiB", b / 1_073_741_824) }
            throw ConfigError("the config describes about \(String(format: "%.3g", parameters)) parameters (\(gib(bytes)) as float32), "
                              + "more than the \(gib(ModelSize.byteLimit)) a model may take here: check d_model, ff, the layer counts, "
                              + "the vocabulary sizes and max_len")
        }
    }
}
