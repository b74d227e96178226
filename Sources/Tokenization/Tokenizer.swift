import Dispatch

/// A subword tokenizer: added tokens → normalizer → pre-tokenizer → subword model →
/// post-processor, and back through the decoder; saved and loaded as Hugging Face
/// `tokenizer.json`, and matching `tokenizers` id for id.
///
/// As in `tokenizers`, added tokens written in the input are found there: a literal `<eos>`
/// encodes as the `<eos>` id unless `encodeSpecialTokens` is set, which keeps special tokens
/// text (so `decode(encode(s)) == s` for every string).
public struct Tokenizer: Sendable {
    let model: SubwordModel
    public let normalizer: [NormalizerStep]
    public let preTokenizer: [PreTokenizerStep]
    public let postProcessor: [PostProcessorStep]
    public let decoder: [DecoderStep]
    let addedVocabulary: AddedVocabulary
    var addedTokens: [AddedToken] { addedVocabulary.tokens }
    /// Special tokens in the input are encoded as text (`tokenizers`' `encode_special_tokens`).
    public var encodeSpecialTokens = false
    /// Ids the post-processor puts around a single sequence when special tokens are asked for.
    public let prefixIDs: [Int32]
    public let suffixIDs: [Int32]
    /// The roles special tokens play; their ids below (nil where the tokenizer has none).
    public let specialTokens: SpecialTokens
    public let padID: Int32?
    public let bosID: Int32?
    public let eosID: Int32?
    public let unkID: Int32?
    public let clsID: Int32?
    public let sepID: Int32?
    public let maskID: Int32?
    /// One more than the largest id (model vocabulary and added tokens).
    public let vocabSize: Int
    /// Token string of each id for decoding, and whether it is special.
    private let surface: [[UInt8]]
    private let isSpecial: [Bool]
    let byteLevel: Bool
    let preTokenizerBody: [PreTokenizerStep]

    init(model: SubwordModel, normalizer: [NormalizerStep], preTokenizer: [PreTokenizerStep], postProcessor: [PostProcessorStep],
         decoder: [DecoderStep], addedTokens: [AddedToken], specialTokens: SpecialTokens) {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor
        self.decoder = decoder
        addedVocabulary = AddedVocabulary(addedTokens) { normalizer.isEmpty ? $0 : NormalizerStep.apply(normalizer, to: $0) }
        var surface = model.tokens
        let maxAdded = addedTokens.map { Int($0.id) }.max() ?? -1
        if maxAdded >= surface.count { surface += Array(repeating: [], count: maxAdded + 1 - surface.count) }
        var isSpecial = [Bool](repeating: false, count: surface.count)
        for t in addedTokens {
            // A normalized token reads back in its normalized form, as in `tokenizers`.
            let content = Array(t.content.utf8)
            surface[Int(t.id)] = t.normalized && !normalizer.isEmpty ? NormalizerStep.apply(normalizer, to: content) : content
            isSpecial[Int(t.id)] = t.special
        }
        self.surface = surface
        self.isSpecial = isSpecial
        vocabSize = surface.count
        // The ids around a one-token sequence, marked -1.
        let wrapped = PostProcessorStep.apply(postProcessor, [Encoding(ids: [-1], typeIDs: [0])], addSpecial: true).ids
        let mark = wrapped.firstIndex(of: -1) ?? wrapped.count
        prefixIDs = Array(wrapped[..<mark])
        suffixIDs = mark < wrapped.count ? Array(wrapped[(mark + 1)...]) : []
        self.specialTokens = specialTokens
        func find(_ s: String?) -> Int32? {
            guard let s else { return nil }
            return addedTokens.first { Array($0.content.utf8) == Array(s.utf8) }?.id ?? model.id(of: Array(s.utf8))
        }
        padID = find(specialTokens.pad)
        bosID = find(specialTokens.bos)
        eosID = find(specialTokens.eos)
        unkID = find(specialTokens.unk)
        clsID = find(specialTokens.cls)
        sepID = find(specialTokens.sep)
        maskID = find(specialTokens.mask)
        if case .byteLevel = preTokenizer.last {
            byteLevel = true
        } else {
            byteLevel = false
        }
        preTokenizerBody = Tokenizer.cuttingSteps(preTokenizer)
    }

    /// The same tokenizer with other special-token roles.
    func withRoles(_ roles: SpecialTokens) -> Tokenizer {
        var t = Tokenizer(model: model, normalizer: normalizer, preTokenizer: preTokenizer, postProcessor: postProcessor,
                          decoder: decoder, addedTokens: addedTokens, specialTokens: roles)
        t.encodeSpecialTokens = encodeSpecialTokens
        return t
    }

    /// The steps that cut text: a final ByteLevel step without regex or prefix space cuts nothing.
    static func cuttingSteps(_ steps: [PreTokenizerStep]) -> [PreTokenizerStep] {
        if case .byteLevel(false, false) = steps.last { return Array(steps.dropLast()) }
        return steps
    }

    /// The token string of `id` (byte-level characters for BPE tokens), or nil.
    public func token(forID id: Int32) -> String? {
        guard id >= 0, Int(id) < surface.count, !surface[Int(id)].isEmpty else { return nil }
        return String(decoding: surface[Int(id)], as: UTF8.self)
    }

    /// The id of a token string, or nil.
    public func id(forToken token: String) -> Int32? {
        addedTokens.first { Array($0.content.utf8) == Array(token.utf8) }?.id ?? model.id(of: Array(token.utf8))
    }

    /// Token ids of `text`; with `addSpecial`, wrapped as the post-processor says (`<bos> … <eos>`).
    public func encode(_ text: String, addSpecial: Bool = false) -> [Int32] {
        var encoder = Encoder(self)
        return encoder.encode(text, addSpecial: addSpecial)
    }

    /// Ids and type ids of `text`, or of the pair `text`, `pair` (BERT's sentence pairs), put
    /// together by the post-processor; special tokens only with `addSpecial`.
    public func encode(_ text: String, pair: String?, addSpecial: Bool = true) -> Encoding {
        var encoder = Encoder(self)
        var parts = [Encoding(ids: encoder.encodeSequence(text), typeIDs: [])]
        parts[0].typeIDs = Array(repeating: 0, count: parts[0].ids.count)
        if let pair {
            let ids = encoder.encodeSequence(pair)
            parts.append(Encoding(ids: ids, typeIDs: Array(repeating: 1, count: ids.count)))
        }
        return PostProcessorStep.apply(postProcessor, parts, addSpecial: addSpecial)
    }

    /// The normalizer's output for `text` (`normalizer.normalize_str`).
    public func normalize(_ text: String) -> String {
        String(decoding: normalizer.isEmpty ? Array(text.utf8) : NormalizerStep.apply(normalizer, to: Array(text.utf8)), as: UTF8.self)
    }

    /// The pieces the pre-tokenizer cuts `text` into (`pre_tokenizer.pre_tokenize_str`), as text;
    /// a final ByteLevel step shows its byte characters.
    public func preTokenize(_ text: String) -> [String] {
        var pre = PreTokenizer(steps: preTokenizer)
        var pieces: [Range<Int>] = []
        let buffer = pre.run(Array(text.utf8), into: &pieces)
        return pieces.map { String(decoding: buffer[$0], as: UTF8.self) }
    }

    /// Encodes each text on `threads` threads; the result equals mapping `encode` over them.
    public func encodeBatch(_ texts: [String], addSpecial: Bool = false, threads: Int = 2) -> [[Int32]] {
        let workers = max(1, min(threads, texts.count / 64 + 1))
        var results = [[Int32]](repeating: [], count: texts.count)
        results.withUnsafeMutableBufferPointer { out in
            let out = UnsafeSendableBuffer(out)
            let work: @Sendable (Int) -> Void = { w in
                var encoder = Encoder(self)
                // Contiguous chunks keep each worker's word cache warm on similar text.
                let lo = texts.count * w / workers, hi = texts.count * (w + 1) / workers
                for i in lo..<hi { out.base[i] = encoder.encode(texts[i], addSpecial: addSpecial) }
            }
            if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
        }
        return results
    }

    /// The text of `ids`; special tokens are left out with `skipSpecial`, unknown ids always.
    public func decode(_ ids: [Int32], skipSpecial: Bool = true) -> String {
        var tokens: [[UInt8]] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard id >= 0, Int(id) < surface.count, !surface[Int(id)].isEmpty else { continue }
            if skipSpecial && isSpecial[Int(id)] { continue }
            tokens.append(surface[Int(id)])
        }
        // Without a decoder, Hugging Face joins the token strings with spaces.
        let bytes = decoder.isEmpty ? Array(tokens.joined(separator: [0x20])) : DecoderStep.apply(decoder, to: tokens)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Lets worker threads write disjoint elements of one buffer.
private struct UnsafeSendableBuffer<T>: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<T>
    init(_ base: UnsafeMutableBufferPointer<T>) { self.base = base }
}

/// Per-thread encoding state: scratch buffers and a cache of piece → ids.
struct Encoder {
    private let tokenizer: Tokenizer
    private var preTokenizer: PreTokenizer
    private var scratch = SubwordScratch()
    private var pieces: [Range<Int>] = []
    private var cache = ByteStringTable(capacity: 64)  // grows; single encodes stay cheap
    private var cacheStarts: [Int] = [0]
    private var cacheIDs: [Int32] = []
    private static let cacheLimit = 100_000, cacheableLength = 256

    init(_ tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
        preTokenizer = PreTokenizer(steps: tokenizer.preTokenizerBody, rawBytesToModel: tokenizer.byteLevel)
    }

    mutating func encode(_ text: String, addSpecial: Bool) -> [Int32] {
        let ids = encodeSequence(text)
        guard addSpecial else { return ids }
        return tokenizer.prefixIDs + ids + tokenizer.suffixIDs
    }

    /// The ids of one sequence: added tokens cut out, the text between them normalized,
    /// normalized added tokens cut out of that, the rest pre-tokenized and run through the model.
    mutating func encodeSequence(_ text: String) -> [Int32] {
        var out: [Int32] = []
        let bytes = Array(text.utf8)
        let added = tokenizer.addedVocabulary
        let skip = tokenizer.encodeSpecialTokens
        let segments = added.hasRawTokens ? added.split(bytes, normalizedTokens: false, skipSpecial: skip) : [(0..<bytes.count, nil)]
        for (range, id) in segments {
            if let id { out.append(id); continue }
            var normalized = Array(bytes[range])
            if !tokenizer.normalizer.isEmpty { normalized = NormalizerStep.apply(tokenizer.normalizer, to: normalized) }
            if added.hasNormalizedTokens {
                for (sub, id) in added.split(normalized, normalizedTokens: true, skipSpecial: skip) {
                    if let id { out.append(id); continue }
                    encodeText(Array(normalized[sub]), atStart: range.lowerBound == 0 && sub.lowerBound == 0, into: &out)
                }
            } else {
                encodeText(normalized, atStart: range.lowerBound == 0, into: &out)
            }
        }
        return out
    }

    private mutating func encodeText(_ normalized: [UInt8], atStart: Bool, into out: inout [Int32]) {
        guard !normalized.isEmpty else { return }
        let buffer = preTokenizer.run(normalized, into: &pieces, atStart: atStart)
        buffer.withUnsafeBufferPointer { p in
            for r in pieces { encodePiece(UnsafeBufferPointer(rebasing: p[r]), into: &out) }
        }
    }

    private mutating func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        if let k = cache.find(piece) {
            out += cacheIDs[cacheStarts[k]..<cacheStarts[k + 1]]
            return
        }
        let start = out.count
        tokenizer.model.encodePiece(piece, byteLevel: tokenizer.byteLevel, scratch: &scratch, into: &out)
        if piece.count < Encoder.cacheableLength && cache.count < Encoder.cacheLimit {
            _ = cache.insert(piece)
            cacheIDs += out[start...]
            cacheStarts.append(cacheIDs.count)
        }
    }
}
