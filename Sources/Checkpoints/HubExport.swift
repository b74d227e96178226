// One of our models written as a Hugging Face model directory's config.json,
// generation_config.json and model.safetensors. The tensor map is the loader's own (`HubLayout`,
// built from the config.json written here, read back) run backwards, so loading and exporting
// cannot disagree; the config read back must describe the same computation as ours. Marian:
// our interleaved sinusoids (sin, cos, sin, cos, …) become Marian's halves (every sine, then every
// cosine) by permuting the model dimension of the residual stream through every weight that reads
// or writes it: embeddings and LayerNorms along d, query/key/value and fc1 along their inputs,
// the attention output and fc2 along their outputs. Attention heads are untouched (the permutation
// never reaches a projection's head dimension), and LayerNorm commutes with it.
import JSONText
import Models

public enum HubExport {
    /// Writes config.json, generation_config.json (Marian, GPT-2, Llama; a Marian model's with
    /// `search`'s beam settings) and model.safetensors into `directory`, each file atomically;
    /// returns the architecture written.
    @discardableResult
    public static func write(_ module: Module, config: TransformerConfig, to directory: String,
                             format: SafetensorsTensor.FloatFormat = .f32, search: GenerationDefaults? = nil) throws -> HubArchitecture {
        let dtype = format == .f16 ? "float16" : format == .bf16 ? "bfloat16" : "float32"
        let plan = try HubExportPlan(config, dtype: dtype, search: search)
        let configBytes = pretty(plan.config)
        let generationBytes = plan.generation.map(pretty)
        // The loader's map for what was just written, and the config it reads back.
        let written = try HubConfig(path: directory + "/config.json", bytes: configBytes)
        let generation = try generationBytes.map { try GenerationDefaults(hub: HubConfig(path: directory + "/generation_config.json", bytes: $0)) }
        let layout = try HubModelDirectory.layout(written, plan.architecture, generation: generation ?? GenerationDefaults())
        try checkReadBack(layout.config, ours: config, plan: plan)
        let tensors = try self.tensors(module, config: config, plan: plan, layout: layout, format: format)
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: directory + "/model.safetensors")
        try writeAtomically(to: directory + "/config.json") { try configBytes.withUnsafeBytes($0.writeAll) }
        if let generationBytes {
            try writeAtomically(to: directory + "/generation_config.json") { try generationBytes.withUnsafeBytes($0.writeAll) }
        }
        return plan.architecture
    }

    /// The architecture `config` exports as, or the error naming what it cannot express.
    public static func architecture(for config: TransformerConfig) throws -> HubArchitecture {
        try HubExportPlan(config, dtype: "float32").architecture
    }

    static func pretty(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        value.writePretty(to: &out)
        out.append(0x0A)
        return out
    }

    /// A parameter's values, row-major.
    struct Weights {
        var shape: [Int]
        var values: [Float]
    }

    static func tensors(_ module: Module, config c: TransformerConfig, plan: HubExportPlan, layout: HubLayout,
                        format: SafetensorsTensor.FloatFormat) throws -> [SafetensorsTensor] {
        var w: [String: Weights] = [:]
        for (name, t) in module.namedParameters() { w[name] = Weights(shape: t.shape, values: t.scalars) }
        if plan.foldScale, var e = w["embedding.tokens.weight"] {
            // The output layer keeps the unscaled table; the input embedding takes the scale, as
            // TokenEmbedding applies it (the same float products).
            if c.outputHead && c.tieOutput {
                w["generator.weight"] = e
                if let b = w.removeValue(forKey: "outputBias") { w["generator.bias"] = b }
            }
            let scale = Float(c.dModel).squareRoot()
            e.values = e.values.map { $0 * scale }
            w["embedding.tokens.weight"] = e
        }
        if plan.positionTable {
            let table = SinusoidalPositionalEncoding(dimension: c.dModel, initialLength: c.maxLen, layout: c.sinusoidalLayout)
            w["embedding.learned.weight"] = Weights(shape: [c.maxLen, c.dModel], values: table.encodings(length: c.maxLen).scalars)
        }
        if plan.permute {
            let order = marianOrder(c.dModel)
            for (name, x) in w { w[name] = try permuted(x, name: name, order: order) }
        }
        /// What the architecture has and ours lacks, where zeros are what its absence means.
        func zeros(_ part: String) -> Weights? {
            var shape: [Int]
            if part == "outputBias" || part == "generator.bias" {
                shape = [c.outputVocab]
            } else if part == "embedding.types.weight" {
                shape = [1, c.dModel]
            } else if part.hasSuffix(".bias"), let weight = w[String(part.dropLast(5)) + ".weight"] {
                shape = [weight.shape[0]]
            } else {
                return nil
            }
            return Weights(shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)))
        }
        // Bare models (BertModel, GPT2Model, LlamaModel) are saved without the base-model prefix, as transformers saves them.
        let bare = !plan.architecture.hasOutputHead
        var used = Set<String>()
        var out: [SafetensorsTensor] = []
        for m in layout.mappings {
            var shape: [Int] = [], values: [Float] = []
            for part in m.parts {
                guard let x = w[part] ?? zeros(part) else {
                    throw ConfigError("exporting as \(layout.architecture.rawValue): no weights for '\(part)' (tensor \(m.name))")
                }
                used.insert(part)
                shape = shape.isEmpty ? x.shape : [shape[0] + x.shape[0]] + shape.dropFirst()
                values += x.values
            }
            if m.transposed && shape.count == 2 {
                values = transposed(values, rows: shape[0], columns: shape[1])
                shape.reverse()
            }
            if let stored = m.storedShape { shape = stored }
            let name = bare && m.name.hasPrefix(layout.prefix) ? String(m.name.dropFirst(layout.prefix.count)) : m.name
            out.append(SafetensorsTensor(name: name, shape: shape, floats: values, format: format))
        }
        if let lost = w.keys.sorted().first(where: { !used.contains($0) }) {
            throw ConfigError("exporting as \(layout.architecture.rawValue): parameter '\(lost)' has no tensor in its layout")
        }
        return out
    }

    /// Marian's index m holds our index order[m]: sines (our even indices) first, then cosines (odd).
    static func marianOrder(_ d: Int) -> [Int] {
        let sines = (d + 1) / 2
        return (0..<d).map { m in m < sines ? 2 * m : 2 * (m - sines) + 1 }
    }

    /// The axis of a parameter that indexes the residual stream (d_model), nil for none.
    static func residualAxis(_ name: String) -> Int?? {
        let reads = [".query.weight", ".key.weight", ".value.weight", ".linear1.weight", "tokens.weight"]
        let writes = [".output.weight", ".output.bias", ".linear2.weight", ".linear2.bias", ".norm.weight", ".norm.bias"]
        let neither = [".query.bias", ".key.bias", ".value.bias", ".linear1.bias"]
        if name == "generator.weight" || reads.contains(where: name.hasSuffix) { return .some(1) }
        if writes.contains(where: name.hasSuffix) { return .some(0) }
        if name == "generator.bias" || name == "outputBias" || neither.contains(where: name.hasSuffix) { return .some(nil) }
        return nil
    }

    static func permuted(_ x: Weights, name: String, order: [Int]) throws -> Weights {
        guard let found = residualAxis(name) else { throw ConfigError("exporting as Marian: no rule for permuting '\(name)'") }
        guard let axis = found else { return x }
        var y = x
        let d = order.count
        if axis == 0 {
            let width = x.values.count / d
            for m in 0..<d { for j in 0..<width { y.values[m * width + j] = x.values[order[m] * width + j] } }
        } else {
            let rows = x.values.count / d
            for r in 0..<rows { for m in 0..<d { y.values[r * d + m] = x.values[r * d + order[m]] } }
        }
        return y
    }

    static func transposed(_ x: [Float], rows: Int, columns: Int) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        for r in 0..<rows { for j in 0..<columns { y[j * rows + r] = x[r * columns + j] } }
        return y
    }

    /// The config the loader reads back from what was written must compute what ours computes,
    /// up to the planned changes (scale folded, positions as a table, Marian's halves, zero biases).
    static func checkReadBack(_ back: TransformerConfig, ours c: TransformerConfig, plan: HubExportPlan) throws {
        var want = c
        if plan.foldScale {
            want.scaleEmbedding = false
            if c.outputHead { want.tieOutput = false }
        }
        if plan.positionTable { want.positional = .learned }
        if plan.permute { want.sinusoidalLayout = .halves }
        let decoderOnly = c.family == .decoderOnly, encoderOnly = c.family == .encoderOnly
        var fields: [(String, String, String)] = []
        func same<T>(_ key: String, _ value: (TransformerConfig) -> T, when: Bool = true) {
            if when { fields.append((key, "\(value(want))", "\(value(back))")) }
        }
        same("family") { $0.family }; same("d_model") { $0.dModel }; same("heads") { $0.heads }
        same("kv_heads") { $0.keyValueHeads }; same("ff") { $0.ff }
        same("encoder_layers", { $0.encoderLayers }, when: !decoderOnly)
        same("decoder_layers", { $0.decoderLayers }, when: !encoderOnly)
        same("src_vocab", { $0.srcVocab }, when: !decoderOnly); same("output vocabulary") { $0.outputVocab }
        same("activation") { $0.activation }; same("norm") { $0.norm }; same("layer_norm_eps") { $0.layerNormEps }
        same("norm_first") { $0.normFirst }; same("final_norm") { $0.finalNorm }; same("positional") { $0.positional }
        same("sinusoidal_layout", { $0.sinusoidalLayout }, when: want.positional == .sinusoidal)
        same("rope_base", { $0.ropeBase }, when: want.positional == .rope)
        same("max_len", { $0.maxLen }, when: want.positional == .learned)
        // A bias-free model of ours writes zero biases into the architectures that always have them.
        same("bias", { $0.bias }, when: c.bias || plan.architecture.modelType == "llama")
        same("scale_embedding") { $0.scaleEmbedding }; same("embedding_norm") { $0.embeddingNorm }
        same("type_vocab", { max($0.typeVocab, 1) }, when: encoderOnly)
        same("share_embeddings", { $0.shareEmbeddings }, when: c.family == .encoderDecoder)
        same("output_head") { $0.outputHead }
        same("tie_output", { $0.tieOutput }, when: c.outputHead)
        same("output_transform") { $0.outputTransform }
        same("eos_id", { $0.eosId }, when: !encoderOnly); same("bos_id", { $0.bosId }, when: !encoderOnly)
        same("decoder_start_id", { $0.startId }, when: c.family == .encoderDecoder)
        same("pad_id", { $0.padId.map(String.init) ?? "null" }, when: c.family == .encoderDecoder || encoderOnly)
        if let bad = fields.first(where: { $0.1 != $0.2 }) {
            throw ConfigError("exporting as \(plan.architecture.rawValue): \(bad.0) would read back as \(bad.2), not \(bad.1)")
        }
    }
}
