// The `"model": {"type": "Unigram", …}` object of Hugging Face's `tokenizer.json`
// (`vocab` as [[piece, score], …], `unk_id`, `byte_fallback`), read into a UnigramModel with
// Hugging Face's semantics and written back.
import JSONText

extension UnigramModel {
    /// The penalty below the lowest score that an unknown character costs (both peers use 10).
    static let unknownPenalty = 10.0

    /// Reads a Unigram model object; `invalid` makes errors that name the file.
    static func fromJSON(_ model: JSONValue, invalid: TokenizerJSON.Fail) throws -> UnigramModel {
        guard let entries = model["vocab"]?.array else { throw invalid("Unigram model has no \"vocab\" array") }
        guard entries.count < TokenizerJSON.maxID else { throw invalid("Unigram vocab has more than \(TokenizerJSON.maxID) entries") }
        var tokens: [[UInt8]] = [], scores: [Double] = []
        tokens.reserveCapacity(entries.count)
        scores.reserveCapacity(entries.count)
        for (n, entry) in entries.enumerated() {
            guard let pair = entry.array, pair.count == 2, let piece = pair[0].string, let score = pair[1].double,
                  score.isFinite else {
                throw invalid("Unigram vocab entry \(n) is not [piece, finite score]")
            }
            tokens.append(Array(piece.utf8))
            scores.append(score)
        }
        var unkID: Int32?
        if let u = model["unk_id"], !u.isNull {
            guard let id = u.int, id >= 0 else { throw invalid("Unigram unk_id is not a non-negative integer") }
            guard id < tokens.count else { throw invalid("Unigram unk_id \(id) is outside the vocabulary (\(tokens.count) pieces)") }
            unkID = Int32(id)
        }
        let byteFallback = model["byte_fallback"]?.bool ?? false
        // Hugging Face maps a piece listed twice to its later id; the trie keeps the later one too.
        let ids = (0..<Int32(tokens.count)).map { $0 }
        var byteIDs: [Int32]?
        if byteFallback {
            var table = [Int32](repeating: -1, count: 256)
            for (id, t) in tokens.enumerated() {
                if let b = SentencePieceModel.byteValue(ofPiece: t) { table[Int(b)] = Int32(id) }
            }
            byteIDs = table
        }
        return UnigramModel(tokens: tokens, scores: scores, latticeIDs: ids, latticeScores: scores, unkID: unkID,
                            unkScore: (scores.min() ?? .infinity) - unknownPenalty, floatPaths: false,
                            byteIDs: byteIDs)
    }

    /// The model object as `tokenizers` writes it.
    func json() -> JSONValue {
        let vocab = JSONValue.array(zip(tokens, scores).map { t, s in
            .array([.string(String(decoding: t, as: UTF8.self)), .number("\(s)")])
        })
        return .object([
            ("type", .string("Unigram")), ("unk_id", unkID.map { .integer($0) } ?? .null), ("vocab", vocab),
            ("byte_fallback", .bool(byteIDs != nil)),
        ])
    }
}
