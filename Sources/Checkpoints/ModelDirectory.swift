// A model directory, the unit users pass around: config.json, weights.safetensors and
// (when present) tokenizer.json. Weights are either under our parameter names or in the
// PyTorch reference layout; loading checks every name and shape.
import Foundation
import Models

public enum WeightLayout: String, Sendable { case native, pytorch }

public struct LoadedModel {
    public let config: TransformerConfig
    public let model: AnyTransformerModel
    public let layout: WeightLayout
    public let directory: URL
}

public enum ModelDirectory {
    public static func load(_ directory: URL) throws -> LoadedModel {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw ConfigError("model directory \(directory.path) does not exist")
        }
        let config = try TransformerConfig.load(from: directory.appendingPathComponent("config.json"))
        let weightsPath = directory.appendingPathComponent("weights.safetensors").path
        let file = try SafetensorsFile(path: weightsPath)
        let model = try AnyTransformerModel(config: config)
        let layout: WeightLayout = file.header.entry(named: PyTorchLayout.marker) != nil ? .pytorch : .native
        switch layout {
        case .pytorch: try loadPyTorch(file, into: model.module, config: config)
        case .native: try loadNative(file, into: model.module)
        }
        model.module.train(false)
        return LoadedModel(config: config, model: model, layout: layout, directory: directory)
    }

    /// Weights under our names: every parameter present with its shape, nothing unknown.
    public static func loadNative(_ file: SafetensorsFile, into module: Module) throws {
        let params = module.namedParameters()
        let known = Set(params.map(\.name))
        if let extra = file.entries.map(\.name).first(where: { !known.contains($0) }) {
            throw CheckpointError.invalidHeader(file: file.path, tensor: extra, reason: "not a parameter of this model's config")
        }
        for (name, p) in params { try copy(file.tensor(name, shape: p.shape), into: p) }
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
    public static func save(_ module: Module, config: TransformerConfig, to directory: URL,
                            format: SafetensorsTensor.FloatFormat = .f32, tokenizer: URL? = nil) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tensors = module.namedParameters().map { SafetensorsTensor(name: $0.name, tensor: $0.tensor, format: format) }
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
