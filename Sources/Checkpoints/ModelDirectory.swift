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
        let loaded = HubModelDirectory.isHub(directory) ? try HubModelDirectory.load(directory, precision: precision)
                                                          : try loadOurs(directory, precision: precision)
        if precision != .f32 {
            // What was not packed while loading (hub and PyTorch-layout weights) packs now.
            loaded.model.module.setInferencePrecision(precision, releasingFloatWeights: true)
            BufferPool.shared.trim()  // the released float weights
        }
        return loaded
    }

    /// Our own directory: weights under our names or in the PyTorch reference layout. In bfloat16 or
    /// int8, weights under our names are packed one layer at a time once the model is built (see
    /// `packStored`): never all of them in float32 at once, and nothing left viewing the file.
    private static func loadOurs(_ directory: URL, precision: InferencePrecision) throws -> LoadedModel {
        let config = try TransformerConfig.load(from: directory.appendingPathComponent("config.json"))
        let weightsPath = directory.appendingPathComponent("weights.safetensors").path
        let file = try SafetensorsFile(path: weightsPath)
        let layout: WeightLayout = file.header.entry(named: PyTorchLayout.marker) != nil ? .pytorch : .native
        let packed = precision != .f32 && layout == .native ? try packableParameterNames(config) : []
        var quantized = Set<String>()
        let model = try AnyTransformerModel(config: config) { params in
            guard layout == .native else { return try pytorchWeights(file, config: config, for: params) }
            let weights = try nativeWeights(file, for: params, leaving: packed)
            quantized = weights.quantized
            // The small rest (biases, norms) copied, so that no tensor keeps the file mapped.
            return packed.isEmpty ? weights.values : weights.values.mapValues { $0.hasValues ? $0.copy() : $0 }
        }
        try Int8Weights.checkPackable(quantized, in: model.module, file: file.path)
        try packStored(packed, from: file, into: model.module, precision: precision)
        model.module.train(false)
        return LoadedModel(config: config, model: model, layout: layout, directory: directory, architecture: nil,
                           generation: try GenerationDefaults(config: config, directory: directory))
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
        return ModelDescription(config: config, architecture: nil, generation: try GenerationDefaults(config: config, directory: directory))
    }

    /// The tensor name map of a Hugging Face directory (for writing a model back in its layout).
    public static func hubLayout(_ directory: URL) throws -> HubLayout {
        try requireDirectory(directory)
        return try HubModelDirectory.describe(directory).layout
    }

    static func requireDirectory(_ directory: URL) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw ConfigError("model directory \(directory.path) does not exist")
        }
    }

    /// Weights under our names into an existing model (resuming training); int8 ones dequantized.
    public static func loadNative(_ file: SafetensorsFile, into module: Module) throws {
        let params = module.namedParameters()
        let weights = try nativeWeights(file, for: params)
        try Int8Weights.checkPackable(weights.quantized, in: module, file: file.path)
        for (name, p) in params { try copy(weights.values[name]!, into: p) }
    }

    /// Weights under our names: every parameter present with its shape, nothing unknown; float32
    /// ones view the mapped file, int8 ones (see `Int8Weights`) are dequantized. The parameters
    /// named in `leaving` are only checked to be there: a meta tensor stands for each (`packStored`
    /// reads them). `quantized`: the parameters stored as int8.
    static func nativeWeights(_ file: SafetensorsFile, for params: [(name: String, tensor: Tensor)], leaving: Set<String> = [])
        throws -> (values: [String: Tensor], quantized: Set<String>) {
        let quantized = Set(params.lazy.filter { file.header.entry(named: $0.name)?.dtype == .i8 }.map(\.name))
        let known = Set(params.map(\.name)).union(quantized.map { $0 + Int8Weights.scaleSuffix })
        if let extra = file.entries.map(\.name).first(where: { !known.contains($0) }) {
            throw CheckpointError.invalidHeader(file: file.path, tensor: extra, reason: "not a parameter of this model's config")
        }
        var values: [String: Tensor] = [:]
        for (name, p) in params {
            if leaving.contains(name) {
                _ = try file.entry(name)
                values[name] = Tensor(metaShape: p.shape)
            } else if quantized.contains(name) {
                values[name] = try Int8Weights.read(file, name: name, shape: p.shape).dequantized()
            } else {
                values[name] = try file.tensor(name, shape: p.shape)
            }
        }
        return (values, quantized)
    }

    /// Weights in the PyTorch reference layout, with packed Q/K/V split by rows (in place).
    static func pytorchWeights(_ file: SafetensorsFile, config: TransformerConfig,
                               for parameters: [(name: String, tensor: Tensor)]) throws -> [String: Tensor] {
        try PyTorchLayout.check(config)
        let params = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.tensor) })
        let mappings = PyTorchLayout.mappings(for: config)
        let known = Set(mappings.map(\.name))
        if let extra = file.entries.map(\.name).first(where: { !known.contains($0) }) {
            throw CheckpointError.invalidHeader(file: file.path, tensor: extra, reason: "not part of the PyTorch reference layout for this config")
        }
        var values: [String: Tensor] = [:]
        for m in mappings {
            let parts = m.parts.map { params[$0]! }
            var shape = parts[0].shape
            shape[0] = parts.reduce(0) { $0 + $1.shape[0] }
            let t = try file.tensor(m.name, shape: shape)
            var offset = 0
            for (name, p) in zip(m.parts, parts) {
                values[name] = t.view(offset: offset, shape: p.shape)
                offset += p.count
            }
        }
        return values
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

    /// Writes config.json and weights.safetensors atomically, under our names (`.native`) or in the
    /// PyTorch reference layout (`.pytorch`, packed Q/K/V stacked again); copies a tokenizer if given.
    /// int8 (our layout only) stores linear and embedding weights as `Int8Weights` describes, the rest as F32.
    public static func save(_ module: Module, config: TransformerConfig, to directory: URL,
                            format: WeightFormat = .f32, tokenizer: URL? = nil, layout: WeightLayout = .native) throws {
        let tensors: [SafetensorsTensor]
        switch (layout, format.floatFormat) {
        case (.native, let float?):
            tensors = module.namedParameters().map { SafetensorsTensor(name: $0.name, tensor: $0.tensor, format: float) }
        case (.native, nil):
            let packable = module.packableLayers()
            tensors = module.namedParameters().flatMap { name, tensor in
                packable[ObjectIdentifier(tensor)] != nil
                    ? Int8Weights.tensors(name: name, weight: tensor) : [SafetensorsTensor(name: name, tensor: tensor, format: .f32)]
            }
        case (.pytorch, let float?):
            tensors = try pytorchTensors(of: module, config: config).map { SafetensorsTensor(name: $0.0, tensor: $0.1, format: float) }
        case (.pytorch, nil):
            throw ConfigError("int8 weights are written under our names only, not in the PyTorch reference layout")
        case (.hub, _):
            throw ConfigError("a Hugging Face directory is written by HubExport")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try SafetensorsWriter.write(tensors, metadata: ["format": layout == .pytorch ? "pt" : "swift-transformer"],
                                    to: directory.appendingPathComponent("weights.safetensors").path)
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

    /// Our weights under their PyTorch reference names, packed Q/K/V stacked again.
    public static func pytorchTensors(of module: Module, config: TransformerConfig) throws -> [(String, Tensor)] {
        try PyTorchLayout.check(config)
        let params = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.name, $0.tensor) })
        return try PyTorchLayout.mappings(for: config).map { m in
            let parts = try m.parts.map { name -> Tensor in
                guard let p = params[name] else { throw ConfigError("the PyTorch reference layout needs parameter '\(name)', which this model lacks") }
                return p
            }
            return (m.name, parts.count == 1 ? parts[0] : Kernels.concat(parts, axis: 0))
        }
    }
}
