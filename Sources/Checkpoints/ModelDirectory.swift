// A model directory, the unit users pass around: config.json, weights.safetensors and
// (when present) tokenizer.json. Weights are either under our parameter names or in the
// PyTorch reference layout; loading checks every name and shape. A Hugging Face directory
// (config.json with a model_type, model.safetensors) of a supported architecture loads the same
// way, onto our own layers (see HubModelDirectory).
import Foundation
import Models

/// How the weights are stored: our parameter names, the PyTorch reference layout, or a Hugging
/// Face checkpoint (`LoadedModel.architecture` says which).
public enum WeightLayout: String, Sendable { case native, pytorch, hub }

public struct LoadedModel {
    public let config: TransformerConfig
    public let model: AnyTransformerModel
    public let layout: WeightLayout
    public let directory: URL
    /// The Hugging Face architecture of a hub directory; nil for our own.
    public let architecture: HubArchitecture?
    /// Decoding settings the directory ships with (generation_config.json), or our config's special ids.
    public let generation: GenerationDefaults
}

/// What a model directory holds, read from its config files (and a hub checkpoint's header) alone.
public struct ModelDescription {
    public let config: TransformerConfig
    public let architecture: HubArchitecture?
    public let generation: GenerationDefaults
}

public enum ModelDirectory {
    /// Loads any model directory: ours (config.json in our schema + weights.safetensors) or a Hugging
    /// Face one (config.json with a model_type + model.safetensors). Every command loads through here.
    /// The model computes in `precision` at inference whatever its weights are stored in; in bfloat16
    /// or int8 it holds only its packed weights (see `Module.setInferencePrecision`).
    public static func load(_ directory: URL, precision: InferencePrecision = .f32) throws -> LoadedModel {
        try requireDirectory(directory)
        let loaded: LoadedModel
        if HubModelDirectory.isHub(directory) {
            loaded = try HubModelDirectory.load(directory)
        } else {
            let config = try TransformerConfig.load(from: directory.appendingPathComponent("config.json"))
            let weightsPath = directory.appendingPathComponent("weights.safetensors").path
            let file = try SafetensorsFile(path: weightsPath)
            let model = try AnyTransformerModel(config: config)
            let layout: WeightLayout = file.header.entry(named: PyTorchLayout.marker) != nil ? .pytorch : .native
            if layout == .pytorch {
                try loadPyTorch(file, into: model.module, config: config)
            } else {
                try loadNative(file, into: model.module, precision: precision)
            }
            model.module.train(false)
            loaded = LoadedModel(config: config, model: model, layout: layout, directory: directory, architecture: nil,
                                 generation: GenerationDefaults(config: config))
        }
        if precision != .f32 {
            loaded.model.module.setInferencePrecision(precision, releasingFloatWeights: true)
            BufferPool.shared.trim()  // the released float weights
        }
        return loaded
    }

    /// The config (a hub config translated into ours), architecture and generation defaults of a
    /// directory, without reading its weights.
    public static func describe(_ directory: URL) throws -> ModelDescription {
        try requireDirectory(directory)
        if HubModelDirectory.isHub(directory) {
            let (layout, generation, _) = try HubModelDirectory.describe(directory)
            return ModelDescription(config: layout.config, architecture: layout.architecture, generation: generation)
        }
        let config = try TransformerConfig.load(from: directory.appendingPathComponent("config.json"))
        return ModelDescription(config: config, architecture: nil, generation: GenerationDefaults(config: config))
    }

    /// The tensor name map of a Hugging Face directory (for writing a model back in its layout).
    public static func hubLayout(_ directory: URL) throws -> HubLayout {
        try requireDirectory(directory)
        return try HubModelDirectory.describe(directory).layout
    }

    private static func requireDirectory(_ directory: URL) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw ConfigError("model directory \(directory.path) does not exist")
        }
    }

    /// Weights under our names: every parameter present with its shape, nothing unknown. Weights
    /// stored in int8 (see `Int8Weights`) are packed as they are when `precision` is int8, and
    /// dequantized otherwise.
    public static func loadNative(_ file: SafetensorsFile, into module: Module, precision: InferencePrecision = .f32) throws {
        let params = module.namedParameters()
        let packable = module.packableLayers()
        let quantized = Set(params.filter { file.header.entry(named: $0.name)?.dtype == .i8 }.map(\.name))
        let known = Set(params.map(\.name)).union(quantized.map { $0 + Int8Weights.scaleSuffix })
        if let extra = file.entries.map(\.name).first(where: { !known.contains($0) }) {
            throw CheckpointError.invalidHeader(file: file.path, tensor: extra, reason: "not a parameter of this model's config")
        }
        // Float parameters first: an int8 weight packs with its layer's bias as loaded.
        for (name, p) in params where !quantized.contains(name) { try copy(file.tensor(name, shape: p.shape), into: p) }
        for (name, p) in params where quantized.contains(name) {
            guard let layer = packable[ObjectIdentifier(p)] else {
                throw CheckpointError.invalidHeader(file: file.path, tensor: name,
                                                    reason: "stored as I8, but only linear and embedding weights may be")
            }
            let (values, scales) = try Int8Weights.read(file, name: name, shape: p.shape)
            guard precision == .int8 else {
                Int8Weights.dequantize(values, scales: scales, into: p)
                continue
            }
            let (rows, cols) = (p.shape[0], p.shape[1])
            if let linear = layer as? Linear {
                linear.adopt(PackedWeight(int8Values: values, scales: scales, outputs: rows, inputs: cols, bias: linear.bias))
            } else if let embedding = layer as? TokenEmbedding {
                embedding.adopt(PackedWeight(int8Values: values, scales: scales, outputs: rows, inputs: cols, bias: nil))
            }
        }
    }

    /// Weights in the PyTorch reference layout, with packed Q/K/V split by rows.
    public static func loadPyTorch(_ file: SafetensorsFile, into module: Module, config: TransformerConfig) throws {
        try PyTorchLayout.check(config)
        let params = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.name, $0.tensor) })
        let mappings = PyTorchLayout.mappings(for: config)
        let known = Set(mappings.map(\.name))
        if let extra = file.entries.map(\.name).first(where: { !known.contains($0) }) {
            throw CheckpointError.invalidHeader(file: file.path, tensor: extra, reason: "not part of the PyTorch reference layout for this config")
        }
        for m in mappings {
            let parts = m.parts.map { params[$0]! }
            var shape = parts[0].shape
            shape[0] = parts.reduce(0) { $0 + $1.shape[0] }
            let t = try file.tensor(m.name, shape: shape)
            var offset = 0
            for p in parts {
                p.data.update(from: t.data + offset, count: p.count)
                p.markModified()
                offset += p.count
            }
        }
    }

    /// Our gradients under PyTorch names (packed Q/K/V stacked again); zeros where none flowed.
    public static func pytorchGradients(of module: Module, config: TransformerConfig) -> [(String, Tensor)] {
        let params = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.name, $0.tensor) })
        return PyTorchLayout.mappings(for: config).map { m in
            let grads = m.parts.map { name -> Tensor in let p = params[name]!; return p.grad ?? Tensor(zeros: p.shape) }
            return (m.name, grads.count == 1 ? grads[0] : Kernels.concat(grads, axis: 0))
        }
    }

    private static func copy(_ source: Tensor, into p: Tensor) throws {
        p.data.update(from: source.data, count: p.count)
        p.markModified()
    }

    /// Writes config.json and weights.safetensors (our names) atomically; copies a tokenizer if given.
    /// int8 stores linear and embedding weights as `Int8Weights` describes, the rest as F32.
    public static func save(_ module: Module, config: TransformerConfig, to directory: URL,
                            format: WeightFormat = .f32, tokenizer: URL? = nil) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let packable = module.packableLayers()
        let tensors = module.namedParameters().flatMap { name, tensor -> [SafetensorsTensor] in
            switch format {
            case .f32: return [SafetensorsTensor(name: name, tensor: tensor, format: .f32)]
            case .f16: return [SafetensorsTensor(name: name, tensor: tensor, format: .f16)]
            case .bf16: return [SafetensorsTensor(name: name, tensor: tensor, format: .bf16)]
            case .int8:
                return packable[ObjectIdentifier(tensor)] != nil
                    ? Int8Weights.tensors(name: name, weight: tensor) : [SafetensorsTensor(name: name, tensor: tensor, format: .f32)]
            }
        }
        try SafetensorsWriter.write(tensors, metadata: ["format": "swift-transformer"], to: directory.appendingPathComponent("weights.safetensors").path)
        let json = try config.jsonData()
        try writeAtomically(to: directory.appendingPathComponent("config.json").path) { file in
            try json.withUnsafeBytes(file.writeAll)
        }
        if let tokenizer {
            let bytes = try Data(contentsOf: tokenizer)
            try writeAtomically(to: directory.appendingPathComponent("tokenizer.json").path) { file in
                try bytes.withUnsafeBytes(file.writeAll)
            }
        }
    }
}
