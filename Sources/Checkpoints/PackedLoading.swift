// Loading a model in bfloat16 or int8 without holding it in float32: the model is built with meta
// tensors in place of its linear and embedding weights, then each layer reads its weight from the
// file (a view of float32, a converted float16/bfloat16 copy, or int8 values as stored) and packs
// it in the inference precision, one layer at a time.
import Models

extension ModelDirectory {
    /// The parameters of `config`'s model that inference packs (linear and embedding weights), from
    /// a skeleton whose parameters are never written.
    static func packableParameterNames(_ config: TransformerConfig) throws -> Set<String> {
        let skeleton = try Module.skeleton { try AnyTransformerModel(config: config) }.module
        let packable = skeleton.packableLayers()
        return Set(skeleton.namedParameters().lazy.filter { packable[ObjectIdentifier($0.tensor)] != nil }.map(\.name))
    }

    /// Packs each weight named in `names` from `file` into its layer in `precision`: int8 weights as
    /// stored when `precision` is int8 (nothing quantized twice), anything else through float32.
    static func packStored(_ names: Set<String>, from file: SafetensorsFile, into module: Module, precision: InferencePrecision) throws {
        guard !names.isEmpty else { return }
        let packable = module.packableLayers()
        for (name, tensor) in module.namedParameters() where names.contains(name) {
            guard let layer = packable[ObjectIdentifier(tensor)] else { continue }
            let bias = (layer as? Linear)?.bias
            let packed: PackedWeight
            if try file.entry(name).dtype == .i8 {
                let stored = try Int8Weights.read(file, name: name, shape: tensor.shape)
                packed = precision == .int8 ? stored.packed(bias: bias) : PackedWeight(weight: stored.dequantized(), bias: bias, precision: precision)
            } else {
                packed = PackedWeight(weight: try file.tensor(name, shape: tensor.shape), bias: bias, precision: precision)
            }
            if let linear = layer as? Linear { linear.adopt(packed) } else if let embedding = layer as? TokenEmbedding { embedding.adopt(packed) }
        }
    }
}
