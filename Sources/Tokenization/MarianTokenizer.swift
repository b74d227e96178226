// Marian (Helsinki-NLP opus-mt) tokenizer directories, as transformers' MarianTokenizer reads
// them: `source.spm` cuts the source text into pieces, `vocab.json` (one vocabulary for both
// sides) gives their ids — a piece it lacks is `<unk>` — and `</s>` ends the source. Decoding
// maps ids back through vocab.json and joins the pieces with SentencePiece between special
// tokens. A text starting with a language code `>>xx<<` keeps the code as one token.
import Foundation
import JSONText

/// The source side of a Marian tokenizer: SentencePiece pieces mapped through vocab.json.
struct MarianModel: Sendable {
    let source: SentencePieceModel
    /// vocab.json id of each source piece (unk where vocab.json lacks it).
    let sourceIDs: [Int32]
    /// vocab.json: piece → id.
    let vocabulary: DoubleArrayTrie
    /// The decoding side's piece of each id.
    let tokens: [[UInt8]]
    let unkID: Int32

    func id(of token: [UInt8]) -> Int32? { token.withUnsafeBufferPointer { vocabulary.value(of: $0) } }

    func encodePiece(_ text: UnsafeBufferPointer<UInt8>, scratch: inout SentencePieceScratch, into out: inout [Int32]) {
        var body = text
        // `remove_language_code`: ">>fr<<…" keeps ">>fr<<" whole.
        if text.count >= 2, text[0] == UInt8(ascii: ">"), text[1] == UInt8(ascii: ">"),
           let close = (0..<max(text.count - 1, 0)).first(where: { text[$0] == UInt8(ascii: "<") && text[$0 + 1] == UInt8(ascii: "<") }) {
            let code = UnsafeBufferPointer(rebasing: text[0..<close + 2])
            out.append(vocabulary.value(of: code) ?? unkID)
            body = UnsafeBufferPointer(rebasing: text[(close + 2)...])
        }
        source.encodeSpans(body, &scratch)
        scratch.normalized.withUnsafeBufferPointer { normalized in
            for t in scratch.tokens {
                if t.id == source.unkID {
                    // spm returns an unknown run as its text; vocab.json may still know it.
                    out.append(vocabulary.value(of: UnsafeBufferPointer(rebasing: normalized[Int(t.start)..<Int(t.end)])) ?? unkID)
                } else {
                    out.append(sourceIDs[Int(t.id)])
                }
            }
        }
    }
}

/// MarianTokenizer's `convert_tokens_to_string`: SentencePiece decoding of the pieces between
/// special tokens, each special token followed by a space, `▁` as space, whitespace stripped.
public struct MarianDecoder: Equatable, Sendable {
    let pieces: SentencePieceDecoder
    let specialTokens: Set<[UInt8]>

    func decode(_ tokens: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [], current: [[UInt8]] = []
        for t in tokens {
            if specialTokens.contains(t) {
                out += pieces.decode(current) + t + [0x20]
                current.removeAll()
            } else {
                current.append(t)
            }
        }
        out += pieces.decode(current)
        let spaced = NormalizerStep.apply([.replace(pattern: "\u{2581}", content: " ")], to: out)
        return MarianDecoder.strip(spaced)
    }

    /// Python's `str.strip()`: leading and trailing characters for which `isspace()` holds.
    static func strip(_ bytes: [UInt8]) -> [UInt8] {
        let scalars = Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
        func isSpace(_ s: Unicode.Scalar) -> Bool {
            switch s.value {
            case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
            default: return false
            }
        }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else { return [] }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[first...last])
        return Array(String(s).utf8)
    }
}

extension Tokenizer {
    /// Loads a Marian tokenizer directory (source.spm, target.spm, vocab.json, and optionally
    /// tokenizer_config.json, special_tokens_map.json, target_vocab.json); errors name the file.
    ///
    /// `encode(_:addSpecial: true)` appends `</s>`. Decoding follows transformers' MarianTokenizer
    /// (5.x): with one shared vocabulary it decodes with source.spm, with `separate_vocabs` with
    /// target.spm and target_vocab.json.
    ///
    /// `target`: encodes as MarianTokenizer encodes `text_target` (training targets): with
    /// target.spm, and with separate vocabularies through target_vocab.json.
    public static func marian(directory: URL, target encodesTarget: Bool = false) throws -> Tokenizer {
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        var config: [(key: String, value: JSONValue)] = []
        for name in ["special_tokens_map.json", "tokenizer_config.json"] where FileManager.default.fileExists(atPath: path(name)) {
            guard case let .object(members) = try readJSON(path(name)) else {
                throw TokenizationError.invalidTokenizer(file: path(name), reason: "not a JSON object")
            }
            config += members  // tokenizer_config.json, read last, wins
        }
        func setting(_ key: String) -> JSONValue? { config.last { $0.key == key }?.value }
        func tokenName(_ key: String, _ fallback: String) -> String {
            guard let v = setting(key) else { return fallback }
            return v.string ?? v["content"]?.string ?? fallback
        }
        let unk = tokenName("unk_token", "<unk>"), eos = tokenName("eos_token", "</s>"), pad = tokenName("pad_token", "<pad>")
        let additional = (setting("additional_special_tokens")?.array ?? []).compactMap { $0.string ?? $0["content"]?.string }
        let separate = setting("separate_vocabs")?.bool ?? false

        let vocab = try readVocabulary(path("vocab.json"))
        let source = try SentencePieceModel(contentsOfFile: path("source.spm"))
        let target = try SentencePieceModel(contentsOfFile: path("target.spm"))
        let targetVocabFile = path(setting("target_vocab_file")?.string ?? "target_vocab.json")
        let decodingVocab = separate ? try readVocabulary(targetVocabFile) : vocab
        // The encoding side: source.spm through vocab.json, or for targets target.spm through the target's vocabulary.
        let (encodingModel, encodingVocabFile) = encodesTarget ? (target, separate ? targetVocabFile : path("vocab.json")) : (source, path("vocab.json"))
        let vocabulary = DoubleArrayTrie(keys: encodesTarget ? decodingVocab : vocab)
        func lookUp(_ s: String) -> Int32? { Array(s.utf8).withUnsafeBufferPointer { vocabulary.value(of: $0) } }
        guard let unkID = lookUp(unk) else {
            throw TokenizationError.invalidTokenizer(file: encodingVocabFile, reason: "the unknown token \(unk) is not in the vocabulary")
        }
        for (role, name) in [("end-of-sequence", eos), ("padding", pad)] where lookUp(name) == nil {
            throw TokenizationError.invalidTokenizer(file: encodingVocabFile, reason: "the \(role) token \(name) is not in the vocabulary")
        }
        let sourceIDs = encodingModel.tokens.map { piece in piece.withUnsafeBufferPointer { vocabulary.value(of: $0) } ?? unkID }

        // The decoding side: ids → pieces as MarianTokenizer's `decoder` dict (the later piece
        // of an id wins), else the decoding SentencePiece model's piece, else the unk token.
        let decodingModel = separate ? target : source
        var tokens = [[UInt8]](repeating: [], count: Int(decodingVocab.map(\.1).max() ?? -1) + 1)
        var filled = [Bool](repeating: false, count: tokens.count)
        for (piece, id) in decodingVocab { tokens[Int(id)] = piece; filled[Int(id)] = true }
        for id in tokens.indices where !filled[id] {
            tokens[id] = id < decodingModel.tokens.count ? decodingModel.tokens[id] : Array(unk.utf8)
        }

        let specialNames = [eos, unk, pad] + additional
        var added: [AddedToken] = []
        for name in specialNames {
            guard let id = lookUp(name), !added.contains(where: { $0.id == id }) else { continue }
            added.append(AddedToken(id: id, content: name, special: true))
        }
        let model = MarianModel(source: encodingModel, sourceIDs: sourceIDs, vocabulary: vocabulary, tokens: tokens, unkID: unkID)
        let decoder = MarianDecoder(pieces: decodingModel.decoder, specialTokens: Set(specialNames.map { Array($0.utf8) }))
        let roles = SpecialTokens(roles: pad, bos: nil, eos: eos, unk: unk)
        return Tokenizer(model: .marian(model), normalizer: [], preTokenizer: [],
                         postProcessor: PostProcessorStep.around(bos: nil, eos: lookUp(eos), names: roles),
                         decoder: [.marian(decoder)], addedTokens: added, specialTokens: roles)
    }

    private static func readJSON(_ path: String) throws -> JSONValue {
        let bytes = try FileIO.read(path)
        do throws(JSONParseError) {
            return try JSONValue.parse(bytes)
        } catch {
            throw TokenizationError.malformedJSON(file: path, line: error.line, reason: error.reason)
        }
    }

    /// A `{piece: id}` file.
    private static func readVocabulary(_ path: String) throws -> [([UInt8], Int32)] {
        guard case let .object(members) = try readJSON(path) else {
            throw TokenizationError.invalidTokenizer(file: path, reason: "not a JSON object of piece → id")
        }
        return try TokenizerJSON.vocabulary(members) { .invalidTokenizer(file: path, reason: $0) }
    }
}
