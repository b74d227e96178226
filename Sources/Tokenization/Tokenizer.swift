import Dispatch

/// A token outside the BPE model's merges: special tokens like `<pad>` (Hugging Face's added tokens).
struct AddedToken: Sendable, Equatable {
    var id: Int32
    var content: String
    var special: Bool
}

/// A subword tokenizer: normalizer → pre-tokenizer → subword model → post-processor, and back
/// through the decoder; saved and loaded as Hugging Face `tokenizer.json`.
///
/// Text is encoded as text: a literal `<eos>` in the input becomes ordinary tokens,
/// never the special id, so `decode(encode(s)) == s` for every string.
public struct Tokenizer: Sendable {
    let model: SubwordModel
    public let normalizer: [NormalizerStep]
    public let preTokenizer: [PreTokenizerStep]
    public let decoder: [DecoderStep]
    let addedTokens: [AddedToken]
    /// Ids the post-processor puts around a sequence when special tokens are asked for.
    public let prefixIDs: [Int32]
    public let suffixIDs: [Int32]
    public let padID: Int32?
    public let bosID: Int32?
    public let eosID: Int32?
    public let unkID: Int32?
    /// One more than the largest id (model vocabulary and added tokens).
    public let vocabSize: Int
    /// Token string of each id for decoding, and whether it is special.
    private let surface: [[UInt8]]
    private let isSpecial: [Bool]
    let byteLevel: Bool
    let preTokenizerBody: [PreTokenizerStep]

    init(model: SubwordModel, normalizer: [NormalizerStep], preTokenizer: [PreTokenizerStep], decoder: [DecoderStep],
         addedTokens: [AddedToken], prefixIDs: [Int32], suffixIDs: [Int32], specialTokens: SpecialTokens) {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.decoder = decoder
        self.addedTokens = addedTokens
        self.prefixIDs = prefixIDs
        self.suffixIDs = suffixIDs
        var surface = model.tokens
        let maxAdded = addedTokens.map { Int($0.id) }.max() ?? -1
        if maxAdded >= surface.count { surface += Array(repeating: [], count: maxAdded + 1 - surface.count) }
        var isSpecial = [Bool](repeating: false, count: surface.count)
        for t in addedTokens {
            surface[Int(t.id)] = Array(t.content.utf8)
            isSpecial[Int(t.id)] = t.special
        }
        self.surface = surface
        self.isSpecial = isSpecial
        vocabSize = surface.count
        func find(_ s: String) -> Int32? {
            addedTokens.first { Array($0.content.utf8) == Array(s.utf8) }?.id ?? model.id(of: Array(s.utf8))
        }
        padID = find(specialTokens.pad)
        bosID = find(specialTokens.bos)
        eosID = find(specialTokens.eos)
        unkID = find(specialTokens.unk)
        if case .byteLevel = preTokenizer.last {
            byteLevel = true
        } else {
            byteLevel = false
        }
        preTokenizerBody = Tokenizer.cuttingSteps(preTokenizer)
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
        preTokenizer = PreTokenizer(steps: tokenizer.preTokenizerBody)
    }

    mutating func encode(_ text: String, addSpecial: Bool) -> [Int32] {
        var out: [Int32] = []
        if addSpecial { out += tokenizer.prefixIDs }
        var bytes = Array(text.utf8)
        if !tokenizer.normalizer.isEmpty { bytes = NormalizerStep.apply(tokenizer.normalizer, to: bytes) }
        let buffer = preTokenizer.run(bytes, into: &pieces)
        buffer.withUnsafeBufferPointer { p in
            for r in pieces { encodePiece(UnsafeBufferPointer(rebasing: p[r]), into: &out) }
        }
        if addSpecial { out += tokenizer.suffixIDs }
        return out
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
