// A readable account of a tokenizer: its model, the pipeline normalizer → pre-tokenizer →
// model → post-processor → decoder with each component's options as tokenizer.json spells
// them, and its special tokens (`transformer tokenizer inspect`).
import JSONText

extension Tokenizer {
    /// The model's `type` in tokenizer.json (BPE, WordPiece, WordLevel, Unigram; SentencePiece or Marian for .model files).
    public var modelType: String { model.typeName }

    /// Several lines describing the tokenizer; `path` heads them.
    public func describe(path: String) -> String {
        var lines = ["\(path)"]
        lines.append("model: \(model.typeName), \(vocabSize) ids (\(model.tokens.filter { !$0.isEmpty }.count) in the model, "
                     + "\(addedTokens.count) added)" + modelOptions())
        func stage(_ name: String, _ steps: [JSONValue]) {
            lines.append("\(name): " + (steps.isEmpty ? "none" : steps.map(Tokenizer.component).joined(separator: " → ")))
        }
        stage("normalizer", normalizer.map(TokenizerJSON.json))
        stage("pre-tokenizer", preTokenizer.map(TokenizerJSON.json))
        lines.append("model: \(model.typeName)")
        stage("post-processor", postProcessor.map(TokenizerJSON.json))
        stage("decoder", decoder.map { step in
            do throws(NoJSONForm) { return try TokenizerJSON.json(step) } catch { return .string(error.what) }
        })
        let roles = specialTokens.roles.map { role, token in "\(role) \(token) = \(id(forToken: token).map(String.init) ?? "absent")" }
        lines.append("special token roles: " + (roles.isEmpty ? "none" : roles.joined(separator: ", ")))
        let added = addedTokens.sorted { $0.id < $1.id }.prefix(20).map { t -> String in
            var flags = t.special ? ["special"] : []
            if t.normalized { flags.append("normalized") }
            if t.lstrip { flags.append("lstrip") }
            if t.rstrip { flags.append("rstrip") }
            if t.singleWord { flags.append("single_word") }
            return "\(t.id) \(t.content.debugDescription)" + (flags.isEmpty ? "" : " (\(flags.joined(separator: ", ")))")
        }
        if !added.isEmpty {
            lines.append("added tokens: " + added.joined(separator: "; ") + (addedTokens.count > 20 ? "; … \(addedTokens.count - 20) more" : ""))
        }
        return lines.joined(separator: "\n")
    }

    private func modelOptions() -> String {
        switch model {
        case let .sentencePiece(m): return "; " + m.summary
        case let .marian(m): return "; source " + m.source.summary
        default: break
        }
        guard case let .object(members) = try? model.json() else { return "" }
        let options = members.filter { !["type", "vocab", "merges"].contains($0.key) && !$0.value.isNull }
        var text = options.map { "\($0.key)=\(Tokenizer.compact($0.value))" }.joined(separator: ", ")
        if case let .bpe(m) = model { text = "\(m.merges.count) merges" + (text.isEmpty ? "" : ", " + text) }
        return text.isEmpty ? "" : "; " + text
    }

    /// `Type(key=value, …)` from a component's JSON object.
    static func component(_ j: JSONValue) -> String {
        guard case let .object(members) = j else { return compact(j) }
        let type = j["type"]?.string ?? "?"
        let options = members.filter { $0.key != "type" }.map { "\($0.key)=\(compact($0.value))" }
        return options.isEmpty ? type : "\(type)(\(options.joined(separator: ", ")))"
    }

    static func compact(_ j: JSONValue) -> String {
        var out: [UInt8] = []
        j.write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
