// Loading a model in bfloat16 or int8 without holding it in float32: the model is built with meta
// tensors in place of its linear and embedding weights, then each layer reads its weight from the
// file (a view of float32, a converted float16/bfloat16 copy, or int8 values as stored) and packs
// it in the inference precision, one layer at a time.
import Foundation
import Models

extension ModelDirectory {
    /// The precision a directory's weights are stored in, read from its header: int8 when it holds
    /// I8 weights (`export --dtype int8`), bf16 when its linear and embedding weights are BF16, else
    /// f32 (float16 and float32 files, Hugging Face directories). Loading in it changes no weight
    /// (CTranslate2's compute_type "default" likewise keeps the type a model was converted to).
    public static func storedPrecision(_ directory: URL) throws -> InferencePrecision {
        try requireDirectory(directory)
        guard !HubModelDirectory.isHub(directory) else { return .f32 }
        let header = try SafetensorsHeader.read(path: directory.appendingPathComponent("weights.safetensors").path)
        let matrices = header.entries.filter { $0.shape.count == 2 }
        if matrices.contains(where: { $0.dtype == .i8 }) { return .int8 }
        return !matrices.isEmpty && matrices.allSatisfy { $0.dtype == .bf16 } ? .bf16 : .f32
    }

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
            // Its bytes in the file are not needed again (nothing views them: the float32 view, if
            // any, died once packed), so they leave resident memory as the next layer loads.
            try file.releasePages(of: name)
        }
    }
}
