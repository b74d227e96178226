// Reading and writing Hugging Face's `tokenizer.json` for BPE models.
import JSONText

extension Tokenizer {
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// Loads a `tokenizer.json`; `specialTokens` names the tokens playing pad/bos/eos/unk.
    public init(contentsOfFile path: String, specialTokens: SpecialTokens = .standard) throws {
        try self.init(bytes: try FileIO.read(path), name: path, specialTokens: specialTokens)
    }

    /// Parses a `tokenizer.json` held in memory; `name` stands for the path in errors.
    public init(bytes: [UInt8], name: String, specialTokens: SpecialTokens = .standard) throws {
        let root: JSONValue
        do throws(JSONParseError) {
            root = try JSONValue.parse(bytes)
        } catch {
            throw TokenizationError.malformedJSON(file: name, line: error.line, reason: error.reason)
        }
        try self.init(json: root, file: name, specialTokens: specialTokens)
    }

    init(json root: JSONValue, file: String, specialTokens: SpecialTokens) throws {
        func invalid(_ reason: String) -> TokenizationError { .invalidTokenizer(file: file, reason: reason) }
        func unsupported(_ what: String) -> TokenizationError { .unsupported(file: file, component: what) }
        guard case .object = root else { throw invalid("the document is not a JSON object") }
        // Padding and truncation are batch options of `tokenizers`' encode, not part of the
        // tokenization: commands pad batches themselves and cut inputs by `--max-input-length`.
        for key in ["truncation", "padding"] {
            guard let v = root[key], !v.isNull else { continue }
            guard case .object = v else { throw invalid("\(key): expected an object or null") }
        }
        guard let model = root["model"], case .object = model else { throw invalid("no \"model\" object") }
        let subwordModel = try SubwordModel.fromJSON(model, invalid: { invalid("model: \($0)") }, unsupported: unsupported)
        let maxID = TokenizerJSON.maxID
        var added: [AddedToken] = []
        for (n, t) in (root["added_tokens"]?.array ?? []).enumerated() {
            let limit = min(maxID, TokenizerJSON.sparseLimit(subwordModel.tokens.count))
            guard let id = t["id"]?.int, (0..<limit).contains(id), let content = t["content"]?.string, !content.isEmpty else {
                throw invalid("added_tokens[\(n)] lacks a non-empty \"content\" or an \"id\" in 0..<\(limit)")
            }
            if let known = subwordModel.id(of: Array(content.utf8)), known != Int32(id) {
                throw invalid("added_tokens[\(n)] \"\(content)\" has id \(id) but the model gives it \(known)")
            }
            if let other = added.first(where: { $0.id == Int32(id) || Array($0.content.utf8) == Array(content.utf8) }) {
                throw invalid("added_tokens[\(n)] \"\(content)\" (id \(id)) repeats \"\(other.content)\" (id \(other.id))")
            }
            let special = t["special"]?.bool ?? false
            added.append(AddedToken(id: Int32(id), content: content, special: special, singleWord: t["single_word"]?.bool ?? false,
                                    lstrip: t["lstrip"]?.bool ?? false, rstrip: t["rstrip"]?.bool ?? false,
                                    normalized: t["normalized"]?.bool ?? !special))
        }

        let normalizer = try TokenizerJSON.normalizer(root["normalizer"], unsupported, invalid)
        let preTokenizer = try TokenizerJSON.preTokenizer(root["pre_tokenizer"], unsupported, invalid)
        let decoder = try TokenizerJSON.decoder(root["decoder"], unsupported, invalid)
        let postProcessor = try TokenizerJSON.postProcessor(root["post_processor"], unsupported, invalid)
        let vocabSize = max(subwordModel.tokens.count, (added.map { Int($0.id) }.max() ?? -1) + 1)
        for id in postProcessor.flatMap(\.ids) where Int(id) >= vocabSize {
            throw invalid("post_processor: id \(id) is outside the vocabulary (size \(vocabSize))")
        }
        self.init(model: subwordModel, normalizer: normalizer, preTokenizer: preTokenizer, postProcessor: postProcessor,
                  decoder: decoder, addedTokens: added, specialTokens: specialTokens)
    }

    /// Writes `tokenizer.json` atomically (temporary file, fsync, rename).
    public func save(to path: String) throws {
        let document: [UInt8]
        do throws(NoJSONForm) {
            document = try jsonDocument()
        } catch {
            throw TokenizationError.unsupported(file: path, component: "\(error.what) has no tokenizer.json form")
        }
        try FileIO.writeAtomically(path, document)
    }

    /// The `tokenizer.json` document.
    func jsonDocument() throws(NoJSONForm) -> [UInt8] {
        let added = JSONValue.array(addedTokens.sorted { $0.id < $1.id }.map { t in
            .object([("id", .integer(t.id)), ("content", .string(t.content)), ("single_word", .bool(t.singleWord)),
                     ("lstrip", .bool(t.lstrip)), ("rstrip", .bool(t.rstrip)), ("normalized", .bool(t.normalized)),
                     ("special", .bool(t.special))])
        })
        let root = JSONValue.object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null), ("added_tokens", added),
            ("normalizer", TokenizerJSON.sequence("normalizers", normalizer.map(TokenizerJSON.json))),
            ("pre_tokenizer", TokenizerJSON.sequence("pretokenizers", preTokenizer.map(TokenizerJSON.json))),
            ("post_processor", TokenizerJSON.sequence("processors", postProcessor.map(TokenizerJSON.json))),
            ("decoder", TokenizerJSON.sequence("decoders", try decoder.map(TokenizerJSON.json))),
            ("model", try model.json()),
        ])
        var out: [UInt8] = []
        root.writePretty(to: &out, indent: 0)
        out.append(0x0A)
        return out
    }
}

extension JSONValue {
    /// An integral number of any spelling ("3", "3.0", "3e0") below 10^15 in magnitude.
    var int: Int? {
        guard let d = double, d == d.rounded(), abs(d) < 1e15 else { return nil }
        return Int(d)
    }
}
