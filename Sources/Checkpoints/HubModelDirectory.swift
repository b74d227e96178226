// Hugging Face model directories (config.json with a model_type, the weights in any of the hub's
// files, and perhaps generation_config.json) loaded onto our own layers: the config is translated and checked (sizes
// included) before anything large is allocated, then every tensor name and shape is checked
// against the architecture's layout before any data is read: a missing, extra or mis-shaped
// tensor is an error naming it.
import Foundation
import Models

/// The tensors of a Hugging Face checkpoint, whatever files hold them (`CheckpointTensors`: one
/// model.safetensors, shards with their index, or pytorch_model.bin), with every stored shape known
/// before any data is read.
final class HubCheckpoint {
    let path: String
    /// Every stored tensor's shape, by name.
    let shapes: [String: [Int]]
    private let tensors: CheckpointTensors

    init(directory: URL) throws {
        tensors = try CheckpointTensors.open(directory: directory)
        path = tensors.path
        var shapes: [String: [Int]] = [:]
        for name in tensors.tensorNames { shapes[name] = tensors.shape(of: name) }
        self.shapes = shapes
    }

    /// A float tensor, checked finite. The check read every byte of a view of the mapped file;
    /// those pages leave resident memory again (whatever reads them next, packing or a forward
    /// pass, brings them back from the page cache), so a model loaded in bf16 or int8 never has
    /// the whole float32 file resident.
    func tensor(_ name: String) throws -> Tensor {
        let t = try tensors.tensor(name)
        tensors.releasePages(viewedBy: t)
        return t
    }

    func releasePages(viewedBy tensor: Tensor) { tensors.releasePages(viewedBy: tensor) }
    func sameValues(_ a: Tensor, _ b: Tensor) -> Bool { tensors.sameValues(a, b) }
}

enum HubModelDirectory {
    /// True when the directory's config.json names a `model_type` (our own configs have none).
    static func isHub(_ directory: URL) -> Bool {
        guard let config = try? HubConfig(path: directory.appendingPathComponent("config.json").path) else { return false }
        return config.value("model_type") != nil
    }

    /// The directory's layout (its config translated into ours) and generation defaults, from its
    /// config files and checkpoint header alone.
    static func describe(_ directory: URL) throws -> (layout: HubLayout, generation: GenerationDefaults, checkpoint: HubCheckpoint) {
        let hub = try HubConfig(path: directory.appendingPathComponent("config.json").path)
        let generationPath = directory.appendingPathComponent("generation_config.json").path
        // transformers reads generation settings from generation_config.json when there is one, else from config.json.
        let generation = try GenerationDefaults(hub: FileManager.default.fileExists(atPath: generationPath) ? HubConfig(path: generationPath) : hub)
        let checkpoint = try HubCheckpoint(directory: directory)
        let names = Set(checkpoint.shapes.keys)
        let architecture = try hub.architecture { type in
            switch type {
            case "marian": return .marianMT
            case "gpt2": return .gpt2LMHead
            case "bert": return names.contains { $0.hasPrefix("cls.predictions.") } ? .bertForMaskedLM : .bert
            default:
                let tied = try hub.bool("tie_word_embeddings", default: false)
                return names.contains("lm_head.weight") || tied ? .llamaForCausalLM : .llama
            }
        }
        return (try layout(hub, architecture, generation: generation), generation, checkpoint)
    }

    /// The tensor map of `architecture` for a config.json (the one place each architecture's is made).
    static func layout(_ hub: HubConfig, _ architecture: HubArchitecture, generation: GenerationDefaults) throws -> HubLayout {
        switch architecture {
        case .marianMT: return try HubMarian.layout(hub, architecture: architecture, generation: generation)
        case .gpt2LMHead, .gpt2: return try HubGPT2.layout(hub, architecture: architecture)
        case .bertForMaskedLM, .bertForPreTraining, .bert: return try HubBERT.layout(hub, architecture: architecture)
        case .llamaForCausalLM, .llama: return try HubLlama.layout(hub, architecture: architecture)
        }
    }

    /// The model on our layers, its weights viewing the mapped file; in bfloat16 or int8, each layer
    /// packs in turn and its float bytes leave resident memory, so the whole file is never resident
    /// beside the packed copy.
    static func load(_ directory: URL, precision: InferencePrecision = .f32) throws -> LoadedModel {
        let (layout, generation, checkpoint) = try describe(directory)
        let model = try AnyTransformerModel(config: layout.config) { try weights(layout, from: checkpoint, for: $0) }
        model.module.train(false)
        if precision != .f32 {
            for layer in model.module.modules() {
                guard let weight = layer.packableWeight else { continue }
                layer.adoptInferencePrecision(precision, releasingFloatWeights: true)
                checkpoint.releasePages(viewedBy: weight)
            }
        }
        return LoadedModel(config: layout.config, model: model, layout: .hub, directory: directory,
                           architecture: layout.architecture, generation: generation)
    }

    /// Checks every name and shape, then gives each parameter its stored values: the checkpoint's
    /// tensor itself where it is float32 in our layout (a view of the mapped file), else a
    /// converted or transposed copy; rows of a packed tensor (GPT-2's c_attn) view it in place.
    static func weights(_ layout: HubLayout, from checkpoint: HubCheckpoint,
                        for parameters: [(name: String, tensor: Tensor)]) throws -> [String: Tensor] {
        let params = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.tensor) })
        let stored = checkpoint.shapes
        // Checkpoints of the bare model (and GPT-2's original ones) have no base-model prefix.
        let prefixed = stored.keys.contains { $0.hasPrefix(layout.prefix) }
        func named(_ n: String) -> String { !prefixed && n.hasPrefix(layout.prefix) ? String(n.dropFirst(layout.prefix.count)) : n }
        func unprefixed(_ n: String) -> String { n.hasPrefix(layout.prefix) ? String(n.dropFirst(layout.prefix.count)) : n }
        var known = Set<String>()
        var plan: [(present: [String], parts: [(name: String, shape: [Int])], transposed: Bool)] = []
        var values: [String: Tensor] = [:]
        for m in layout.mappings {
            let parts = m.parts.map { name -> Tensor in
                guard let p = params[name] else { preconditionFailure("\(layout.architecture.rawValue) layout names no parameter '\(name)'") }
                return p
            }
            var shape = parts[0].shape
            shape[0] = parts.reduce(0) { $0 + $1.shape[0] }
            if m.transposed && shape.count == 2 { shape.reverse() }
            if let s = m.storedShape { shape = s }
            let names = m.names.map(named)
            known.formUnion(names)
            let present = names.filter { stored[$0] != nil }
            if present.isEmpty {
                guard m.optional else {
                    let also = names.count > 1 ? " (or its tied copies \(names.dropFirst().map { "'\($0)'" }.joined(separator: ", ")))" : ""
                    throw CheckpointError.invalidHeader(file: checkpoint.path, tensor: names[0],
                                                        reason: "missing\(also): a \(layout.architecture.rawValue) with this config.json needs it, shape \(shape)")
                }
                for (name, p) in zip(m.parts, parts) { values[name] = Tensor(zeros: p.shape) }
                continue
            }
            for n in present where stored[n] != shape {
                throw CheckpointError.invalidShape(file: checkpoint.path, tensor: n,
                                                   reason: "expected \(shape) for this config.json, found \(stored[n] ?? [])")
            }
            plan.append((present, zip(m.parts, parts).map { ($0, $1.shape) }, m.transposed))
        }
        if let extra = stored.keys.sorted().first(where: { !known.contains($0) && !layout.ignored(unprefixed($0)) }) {
            throw CheckpointError.invalidHeader(file: checkpoint.path, tensor: extra,
                                                reason: "not part of a \(layout.architecture.rawValue) with this config.json")
        }
        for (present, parts, transposed) in plan {
            var t = try checkpoint.tensor(present[0])
            for other in present.dropFirst() where try !checkpoint.sameValues(checkpoint.tensor(other), t) {
                throw CheckpointError.invalidHeader(file: checkpoint.path, tensor: other,
                                                    reason: "differs from '\(present[0])', whose tied copy it should be")
            }
            if transposed && t.rank == 2 {
                let stored = t
                t = Kernels.permute(t, [1, 0])
                checkpoint.releasePages(viewedBy: stored)  // copied: its file bytes are not read again
            }
            var offset = 0
            for (name, shape) in parts {
                values[name] = parts.count == 1 ? t.view(shape) : t.view(offset: offset, shape: shape)
                offset += Shape.count(shape)
            }
        }
        return values
    }
}
