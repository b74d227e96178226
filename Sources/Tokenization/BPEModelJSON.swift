// The `"model": {"type": "BPE", …}` object of Hugging Face's `tokenizer.json`, read into a
// BPEModel and written back.
import JSONText

extension BPEModel {
    /// Reads a BPE model object; `invalid` and `unsupported` make errors that name the file.
    static func fromJSON(_ model: JSONValue, invalid: TokenizerJSON.Fail, unsupported: TokenizerJSON.Fail) throws -> BPEModel {
        if let d = model["dropout"], !d.isNull, d.double != 0 {
            throw unsupported("BPE dropout \(d.double.map { "\($0)" } ?? "?") (only null or 0: encoding is deterministic)")
        }
        guard case let .object(vocabMembers)? = model["vocab"] else { throw invalid("model has no \"vocab\" object") }
        let vocab = try TokenizerJSON.vocabulary(vocabMembers, invalid)
        var merges: [([UInt8], [UInt8])] = []
        for (n, m) in (model["merges"]?.array ?? []).enumerated() {
            if let s = m.string {
                let parts = s.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw invalid("merge \(n) \"\(s)\" is not two tokens separated by a space") }
                merges.append((Array(parts[0]), Array(parts[1])))
            } else if let pair = m.array, pair.count == 2, let a = pair[0].string, let b = pair[1].string {
                merges.append((Array(a.utf8), Array(b.utf8)))
            } else {
                throw invalid("merge \(n) is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }
        var bpe: BPEModel
        do {
            bpe = try BPEModel(vocab: vocab, merges: merges)
        } catch let .mergeTokenMissing(token) {
            throw invalid("a merge uses \"\(String(decoding: token, as: UTF8.self))\", which is not in the vocabulary")
        } catch {
            throw invalid("negative id in the vocabulary")
        }
        bpe.unkToken = model["unk_token"]?.string
        bpe.fuseUnk = model["fuse_unk"]?.bool ?? false
        bpe.byteFallback = model["byte_fallback"]?.bool ?? false
        bpe.ignoreMerges = model["ignore_merges"]?.bool ?? false
        bpe.continuingSubwordPrefix = Array((model["continuing_subword_prefix"]?.string ?? "").utf8)
        bpe.endOfWordSuffix = Array((model["end_of_word_suffix"]?.string ?? "").utf8)
        return bpe
    }

    /// The model object as `tokenizers` writes it.
    func json() -> JSONValue {
        func affix(_ a: [UInt8]) -> JSONValue { a.isEmpty ? .null : .string(String(decoding: a, as: UTF8.self)) }
        var vocab: [(key: String, value: JSONValue)] = []
        for (id, token) in tokens.enumerated() where !token.isEmpty {
            vocab.append((String(decoding: token, as: UTF8.self), .integer(id)))
        }
        let mergeList = JSONValue.array(merges.map { a, b in
            .array([.string(String(decoding: tokens[Int(a)], as: UTF8.self)),
                    .string(String(decoding: tokens[Int(b)], as: UTF8.self))])
        })
        return .object([
            ("type", .string("BPE")), ("dropout", .null), ("unk_token", unkToken.map(JSONValue.string) ?? .null),
            ("continuing_subword_prefix", affix(continuingSubwordPrefix)),
            ("end_of_word_suffix", affix(endOfWordSuffix)), ("fuse_unk", .bool(fuseUnk)),
            ("byte_fallback", .bool(byteFallback)), ("ignore_merges", .bool(ignoreMerges)),
            ("vocab", .object(vocab)), ("merges", mergeList),
        ])
    }
}
