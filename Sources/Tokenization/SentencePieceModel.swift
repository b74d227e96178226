/// A SentencePiece `.model` as one subword model: spm's normalizer over the whole sentence,
/// its algorithm (unigram, BPE, char or word) over the normalized text, then its handling of
/// unknown pieces (`PopulateSentencePieceText`): a run of unknown characters is one `<unk>`,
/// or, with byte fallback, each unknown character becomes its UTF-8 bytes' `<0xXX>` pieces.
struct SentencePieceModel: Sendable {
    enum Algorithm: Sendable {
        case unigram(UnigramModel)
        /// BPE; without merges (`mergesPieces` false) it is spm's CHAR model.
        case bpe(SentencePieceBPE, mergesPieces: Bool)
        /// WORD: each word (split before every `▁`) is one piece.
        case word
    }

    let normalizer: SentencePieceNormalizer
    let algorithm: Algorithm
    /// Piece (UTF-8) and type of each id.
    let tokens: [[UInt8]]
    let types: [SentencePieceType]
    /// Every piece → its id (spm's `PieceToId`).
    let pieces: DoubleArrayTrie
    let unkID: Int32
    /// With byte fallback, the id of `<0xXX>` for each byte.
    let byteIDs: [Int32]?
    /// How the model's pieces decode.
    let decoder: SentencePieceDecoder
    /// The pieces that play unk, bos, eos and pad (bos, eos and pad count only as control pieces).
    let unkPiece: [UInt8], bosPiece: [UInt8], eosPiece: [UInt8], padPiece: [UInt8]

    /// Builds the model, checking what spm's `InitializePieces` checks (and refusing duplicates).
    init(proto: SentencePieceModelProto) throws(SentencePieceModelError) {
        let count = proto.pieces.count
        guard count > 0 else { throw SentencePieceModelError("the model has no pieces") }
        var unk: Int32 = -1
        var byteTable = [Int32](repeating: -1, count: 256)
        var keys: [([UInt8], Int32)] = []
        keys.reserveCapacity(count)
        for (id, p) in proto.pieces.enumerated() {
            let name = "piece \(id) \"\(String(decoding: p.piece, as: UTF8.self))\""
            guard !p.piece.isEmpty else { throw SentencePieceModelError("piece \(id) is empty") }
            guard !p.score.isNaN else { throw SentencePieceModelError("\(name) has a NaN score") }
            switch p.type {
            case .unknown:
                guard unk < 0 else { throw SentencePieceModelError("\(name) is a second unknown piece (the first is \(unk))") }
                unk = Int32(id)
            case .byte:
                guard proto.byteFallback else { throw SentencePieceModelError("\(name) is a byte piece but byte_fallback is off") }
                guard let b = SentencePieceModel.byteValue(ofPiece: p.piece) else {
                    throw SentencePieceModelError("\(name) is a byte piece but not <0x00>…<0xFF>")
                }
                byteTable[Int(b)] = Int32(id)
            default: break
            }
            keys.append((p.piece, Int32(id)))
        }
        guard unk >= 0 else { throw SentencePieceModelError("the model has no unknown piece (type UNKNOWN)") }
        if proto.byteFallback, let missing = byteTable.firstIndex(of: -1) {
            throw SentencePieceModelError("byte_fallback is on but there is no byte piece for 0x\(String(missing, radix: 16, uppercase: true))")
        }
        let types = proto.pieces.map(\.type)
        let trie = DoubleArrayTrie(keys: keys)
        for (key, id) in keys where key.withUnsafeBufferPointer({ trie.value(of: $0) }) != id {
            throw SentencePieceModelError("piece \"\(String(decoding: key, as: UTF8.self))\" is defined twice")
        }
        tokens = proto.pieces.map(\.piece)
        self.types = types
        pieces = trie
        unkID = unk
        byteIDs = proto.byteFallback ? byteTable : nil

        let userDefinedKeys = keys.filter { types[Int($0.1)] == .userDefined }
        let userDefined = userDefinedKeys.isEmpty ? nil : DoubleArrayTrie(keys: userDefinedKeys)
        normalizer = SentencePieceNormalizer(spec: proto.normalizerSpec,
                                             charsMap: try SentencePieceModel.charsMap(proto.normalizerSpec, "normalizer_spec"),
                                             treatWhitespaceAsSuffix: proto.treatWhitespaceAsSuffix, userDefined: userDefined)
        var denormalizer: SentencePieceDenormalizer?
        if let spec = proto.denormalizerSpec, let map = try SentencePieceModel.charsMap(spec, "denormalizer_spec") {
            denormalizer = SentencePieceDenormalizer(
                normalizer: SentencePieceNormalizer(spec: spec, charsMap: map, treatWhitespaceAsSuffix: false, userDefined: nil),
                blob: map.blob)
        }
        let kinds = proto.pieces.map { p -> SentencePieceDecodingKind in
            switch p.type {
            case .normal, .userDefined, .unused: return .text
            case .control: return .control
            case .unknown: return .unknown
            case .byte: return .byte(SentencePieceModel.byteValue(ofPiece: p.piece) ?? 0)
            }
        }
        decoder = SentencePieceDecoder(tokens: tokens, pieces: pieces, kinds: kinds, unkSurface: proto.unkSurface,
                                       addDummyPrefix: proto.normalizerSpec.addDummyPrefix,
                                       removeExtraWhitespaces: proto.normalizerSpec.removeExtraWhitespaces,
                                       denormalizer: denormalizer)
        unkPiece = proto.unkPiece
        bosPiece = proto.bosPiece
        eosPiece = proto.eosPiece
        padPiece = proto.padPiece
        switch proto.modelType {
        case .unigram: algorithm = .unigram(SentencePieceModel.unigram(proto, tokens: tokens, types: types, unkID: unk))
        case .bpe, .char:
            algorithm = .bpe(SentencePieceBPE(pieces: pieces, tokens: tokens, types: types, scores: proto.pieces.map(\.score),
                                              userDefined: userDefined), mergesPieces: proto.modelType == .bpe)
        case .word: algorithm = .word
        }
    }

    private static func charsMap(_ spec: SentencePieceNormalizerSpec, _ name: String) throws(SentencePieceModelError) -> PrecompiledCharsMap? {
        guard !spec.precompiledCharsmap.isEmpty else { return nil }
        do {
            return try PrecompiledCharsMap(blob: spec.precompiledCharsmap)
        } catch {
            throw SentencePieceModelError("\(name).precompiled_charsmap: \(error.reason)")
        }
    }

    /// spm's unigram lattice: normal and user-defined pieces; an unknown character scores the
    /// lowest normal score − 10, a user-defined piece 0.1 × (its byte length − 1), so that it wins
    /// over its parts. (sentencepiece 0.2.3; releases before 2026 gave it length × the highest
    /// normal score − 0.1, and compared path scores in `double`.)
    private static func unigram(_ proto: SentencePieceModelProto, tokens: [[UInt8]], types: [SentencePieceType],
                                unkID: Int32) -> UnigramModel {
        var minScore = Float.greatestFiniteMagnitude  // spm's FLT_MAX
        for p in proto.pieces where p.type == .normal { minScore = min(minScore, p.score) }
        var latticeIDs: [Int32] = []
        var latticeScores = proto.pieces.map { Double($0.score) }
        for (id, t) in types.enumerated() where t == .normal || t == .userDefined {
            latticeIDs.append(Int32(id))
            if t == .userDefined { latticeScores[id] = Double(Float(0.1 * Double(tokens[id].count - 1))) }
        }
        return UnigramModel(tokens: tokens, scores: proto.pieces.map { Double($0.score) }, latticeIDs: latticeIDs,
                            latticeScores: latticeScores, unkID: unkID,
                            unkScore: Double(minScore - Float(UnigramModel.unknownPenalty)), floatPaths: true,
                            byteIDs: nil)
    }

    /// The byte of a `<0xXX>` piece (upper-case hex, as spm and Hugging Face write them).
    static func byteValue(ofPiece p: [UInt8]) -> UInt8? {
        guard p.count == 6, p[0] == UInt8(ascii: "<"), p[1] == UInt8(ascii: "0"), p[2] == UInt8(ascii: "x"),
              p[5] == UInt8(ascii: ">") else { return nil }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        guard let hi = hex(p[3]), let lo = hex(p[4]) else { return nil }
        return hi << 4 | lo
    }

    func id(of token: [UInt8]) -> Int32? { token.withUnsafeBufferPointer { pieces.value(of: $0) } }

    /// Normalizes `text` into `scratch.normalized` and fills `scratch.tokens` with spm's pieces:
    /// ranges of the normalized text and their ids (`unkID` for a run of unknown characters).
    func encodeSpans(_ text: UnsafeBufferPointer<UInt8>, _ scratch: inout SentencePieceScratch) {
        normalizer.normalize(text, into: &scratch.normalized)
        scratch.tokens.removeAll(keepingCapacity: true)
        scratch.normalized.withUnsafeBufferPointer { p in
            switch algorithm {
            case .unigram(let m):
                m.viterbi(p, &scratch.unigram)
                populate(scratch.unigram.path, p, &scratch.tokens)
            case let .bpe(m, mergesPieces):
                m.encode(p, &scratch.bpe, merging: mergesPieces)
                populate(scratch.bpe.path, p, &scratch.tokens)
            case .word:
                scratch.words.removeAll(keepingCapacity: true)
                var start = 0, i = 0
                while i < p.count {
                    let n = min(SentencePieceUTF8.oneCharLength(p[i]), p.count - i)
                    if i > 0 && n == 3 && p[i] == 0xE2 && p[i + 1] == 0x96 && p[i + 2] == 0x81 {
                        scratch.words.append(PieceSpan(start: Int32(start), end: Int32(i), id: -1))
                        start = i
                    }
                    i += n
                }
                if i > 0 { scratch.words.append(PieceSpan(start: Int32(start), end: Int32(i), id: -1)) }
                for k in scratch.words.indices {
                    let w = scratch.words[k]
                    scratch.words[k].id = pieces.value(of: UnsafeBufferPointer(rebasing: p[Int(w.start)..<Int(w.end)])) ?? -1
                }
                populate(scratch.words, p, &scratch.tokens)
            }
        }
    }

    /// `PopulateSentencePieceText`: pieces that are no piece are unknown; runs of unknowns merge,
    /// or become byte pieces with byte fallback.
    private func populate(_ path: [PieceSpan], _ text: UnsafeBufferPointer<UInt8>, _ out: inout [PieceSpan]) {
        var previousUnknown = false
        for var span in path {
            if span.id < 0 { span.id = unkID }
            let unknown = types[Int(span.id)] == .unknown
            if unknown, let byteIDs {
                for k in Int(span.start)..<Int(span.end) {
                    out.append(PieceSpan(start: span.start, end: span.end, id: byteIDs[Int(text[k])]))
                }
            } else if unknown && previousUnknown {
                out[out.count - 1].end = span.end
            } else {
                out.append(span)
            }
            previousUnknown = unknown
        }
    }

    /// Appends the ids of `text` (a whole sentence: spm does not pre-tokenize).
    func encodePiece(_ text: UnsafeBufferPointer<UInt8>, scratch: inout SentencePieceScratch, into out: inout [Int32]) {
        encodeSpans(text, &scratch)
        for t in scratch.tokens { out.append(t.id) }
    }
}

/// Why a `.model` file was refused.
struct SentencePieceModelError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Per-thread memory of SentencePiece encoding.
struct SentencePieceScratch {
    var normalized: [UInt8] = []
    var unigram = UnigramScratch()
    var bpe = SentencePieceBPEScratch()
    var words: [PieceSpan] = []
    /// The pieces of the last sentence encoded, as ranges of `normalized`.
    var tokens: [PieceSpan] = []
}

extension SentencePieceModel {
    /// The algorithm and spm's normalizer options in a line, for `tokenizer inspect`.
    var summary: String {
        let kind: String
        switch algorithm {
        case .unigram: kind = "unigram"
        case .bpe(_, let merges): kind = merges ? "bpe" : "char"
        case .word: kind = "word"
        }
        var options = [kind, normalizer.charsMap == nil ? "no character map" : "precompiled character map"]
        if normalizer.addDummyPrefix { options.append("add_dummy_prefix") }
        if normalizer.removeExtraWhitespaces { options.append("remove_extra_whitespaces") }
        if normalizer.treatWhitespaceAsSuffix { options.append("treat_whitespace_as_suffix") }
        if byteIDs != nil { options.append("byte_fallback") }
        return options.joined(separator: ", ")
    }
}
