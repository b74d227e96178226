// Loading a tokenizer as the Hugging Face hub ships it: a `tokenizer.json` file, or a model
// directory holding one, whose `tokenizer_config.json` and `special_tokens_map.json` say which
// tokens play bos/eos/pad/unk/cls/sep/mask; or SentencePiece files: a `.model`, or a Marian
// directory's `source.spm`, `target.spm` and `vocab.json`.
import Foundation
import JSONText

extension Tokenizer {
    /// What a directory holds, in the order it is looked for.
    enum HubLayout {
        case tokenizerJSON(String)
        /// `tokenizer.model` (or another single `.model` file): a SentencePiece model.
        case sentencePiece(String)
        /// Marian (OPUS-MT): `source.spm`, `target.spm` and `vocab.json`.
        case marian(String)
    }

    static func layout(ofDirectory dir: String) throws -> HubLayout {
        let fm = FileManager.default
        func has(_ name: String) -> Bool { fm.fileExists(atPath: dir + "/" + name) }
        if has("tokenizer.json") { return .tokenizerJSON(dir + "/tokenizer.json") }
        if has("source.spm") && has("target.spm") && has("vocab.json") { return .marian(dir) }
        if has("tokenizer.model") { return .sentencePiece(dir + "/tokenizer.model") }
        let models = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".model") }.sorted()
        if models.count == 1 { return .sentencePiece(dir + "/" + models[0]) }
        throw TokenizationError.io(path: dir, reason: "no tokenizer here: looked for tokenizer.json, tokenizer.model (or one *.model "
                                   + "SentencePiece file) and a Marian source.spm + target.spm + vocab.json")
    }

    /// Loads a `tokenizer.json` file, a SentencePiece `.model`/`.spm` file, or a hub model directory. The special tokens' roles come
    /// from the directory's `tokenizer_config.json` and `special_tokens_map.json` (the latter
    /// wins, as in `transformers`); for a bare file, from the usual spellings found in its
    /// vocabulary (`<s>`, `[CLS]`, `<|endoftext|>`, …).
    public static func load(fileOrDirectory path: String) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TokenizationError.io(path: path, reason: "no such file or directory")
        }
        guard isDirectory.boolValue else {
            if path.hasSuffix(".model") || path.hasSuffix(".spm") { return try Tokenizer(sentencePieceModel: path) }
            return try loadFile(path, roles: nil)
        }
        switch try layout(ofDirectory: path) {
        case let .tokenizerJSON(file): return try loadFile(file, roles: try declaredRoles(in: path))
        case let .sentencePiece(file): return try Tokenizer(sentencePieceModel: file)
        case let .marian(dir): return try Tokenizer.marian(directory: URL(fileURLWithPath: dir))
        }
    }

    /// The tokenizer that encodes training targets of a model directory: for a Marian directory
    /// its target side (`marian(directory:target:)`), for every other kind the same as `load`.
    public static func loadTarget(fileOrDirectory path: String) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
           case let .marian(dir) = try layout(ofDirectory: path) {
            return try Tokenizer.marian(directory: URL(fileURLWithPath: dir), target: true)
        }
        return try load(fileOrDirectory: path)
    }

    private static func loadFile(_ file: String, roles: [String: String]?) throws -> Tokenizer {
        // Parse once with no roles, then name the roles the vocabulary can satisfy.
        let plain = try Tokenizer(contentsOfFile: file, specialTokens: SpecialTokens(roles: nil, bos: nil, eos: nil, unk: nil))
        var chosen: [String: String] = [:]
        if let roles {
            chosen = roles.filter { plain.id(forToken: $0.value) != nil }
        } else {
            let spellings: [(String, [String])] = [
                ("pad", ["<pad>", "[PAD]", "<|pad|>"]), ("bos", ["<bos>", "<s>", "<|begin_of_text|>", "<|startoftext|>"]),
                ("eos", ["<eos>", "</s>", "<|end_of_text|>", "<|endoftext|>"]), ("unk", ["<unk>", "[UNK]", "<|unk|>"]),
                ("cls", ["[CLS]", "<cls>"]), ("sep", ["[SEP]", "<sep>"]), ("mask", ["[MASK]", "<mask>"]),
            ]
            for (role, names) in spellings {
                if let name = names.first(where: { plain.id(forToken: $0) != nil }) { chosen[role] = name }
            }
            if chosen["unk"] == nil, let unk = plain.model.unkTokenName, plain.id(forToken: unk) != nil { chosen["unk"] = unk }
        }
        let specials = SpecialTokens(roles: chosen["pad"], bos: chosen["bos"], eos: chosen["eos"], unk: chosen["unk"],
                                     cls: chosen["cls"], sep: chosen["sep"], mask: chosen["mask"])
        return plain.withRoles(specials)
    }

    /// role → token from `tokenizer_config.json`, then `special_tokens_map.json`.
    static func declaredRoles(in dir: String) throws -> [String: String] {
        var roles: [String: String] = [:]
        for name in ["tokenizer_config.json", "special_tokens_map.json"] {
            let file = dir + "/" + name
            guard FileManager.default.fileExists(atPath: file) else { continue }
            let bytes = try FileIO.read(file)
            let root: JSONValue
            do throws(JSONParseError) {
                root = try JSONValue.parse(bytes)
            } catch {
                throw TokenizationError.malformedJSON(file: file, line: error.line, reason: error.reason)
            }
            for role in ["pad", "bos", "eos", "unk", "cls", "sep", "mask"] {
                guard let v = root[role + "_token"] else { continue }
                // A string, or an AddedToken object {"content": …}.
                if let s = v.string ?? v["content"]?.string { roles[role] = s } else if v.isNull { roles[role] = nil }
            }
        }
        return roles
    }
}
