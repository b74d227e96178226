// SentencePiece's own text handling before its model (normalizer.cc): the compiled character
// map (longest match), user-defined pieces passed through untouched, leading/trailing/repeated
// spaces removed, the dummy prefix (or suffix) space, and spaces escaped as U+2581 `▁`.

/// `Normalizer` of a `.model` file, with the model's user-defined pieces as its prefix matcher.
struct SentencePieceNormalizer: Sendable {
    let charsMap: PrecompiledCharsMap?
    let addDummyPrefix: Bool
    let removeExtraWhitespaces: Bool
    let escapeWhitespaces: Bool
    let treatWhitespaceAsSuffix: Bool
    /// User-defined pieces: a match is copied as is (spm's `PrefixMatcher`).
    let userDefined: DoubleArrayTrie?

    static let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]
    private static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

    init(spec: SentencePieceNormalizerSpec, charsMap: PrecompiledCharsMap?, treatWhitespaceAsSuffix: Bool,
         userDefined: DoubleArrayTrie?) {
        self.charsMap = charsMap
        addDummyPrefix = spec.addDummyPrefix
        removeExtraWhitespaces = spec.removeExtraWhitespaces
        escapeWhitespaces = spec.escapeWhitespaces
        self.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix
        self.userDefined = userDefined
    }

    /// Where the normalized form of the next characters comes from.
    private enum Source { case input, pool, replacementCharacter }

    /// The tries and the string pool, as buffers for the duration of one text.
    private struct Buffers {
        let userDefined: UnsafeBufferPointer<DoubleArrayTrie.Unit>?
        let charsMap: UnsafeBufferPointer<UInt32>?
        let pool: UnsafeBufferPointer<UInt8>
    }

    /// spm's `NormalizePrefix`: the replacement of the text at `i` and how many bytes it consumes.
    @inline(__always)
    private static func prefix(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ b: Buffers) -> (Source, Range<Int>, Int) {
        if let u = b.userDefined {
            let longest = DoubleArrayTrie.longestPrefix(u, p, at: i)
            if longest > 0 { return (.input, i..<i + longest, longest) }
        }
        if let u = b.charsMap, let (n, r) = PrecompiledCharsMap.longestMatch(u, b.pool, p, i, p.count) { return (.pool, r, n) }
        let (valid, n) = SentencePieceUTF8.decode(p, i)
        return valid ? (.input, i..<i + n, n) : (.replacementCharacter, 0..<3, 1)
    }

    /// Normalizes `input` into `out` (cleared first).
    func normalize(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        guard !input.isEmpty else { return }
        func run(_ userDefined: UnsafeBufferPointer<DoubleArrayTrie.Unit>?) {
            if let charsMap {
                charsMap.withBuffers { normalize(input, Buffers(userDefined: userDefined, charsMap: $0, pool: $1), into: &out) }
            } else {
                normalize(input, Buffers(userDefined: userDefined, charsMap: nil, pool: UnsafeBufferPointer(start: nil, count: 0)), into: &out)
            }
        }
        if let userDefined { userDefined.units.withUnsafeBufferPointer { run($0) } } else { run(nil) }
    }

    private func normalize(_ input: UnsafeBufferPointer<UInt8>, _ buffers: Buffers, into out: inout [UInt8]) {
        let n = input.count, pool = buffers.pool
        var i = 0
        if removeExtraWhitespaces {
            while i < n {
                let (source, r, consumed) = SentencePieceNormalizer.prefix(input, i, buffers)
                guard source != .replacementCharacter, r.count == 1,
                      (source == .input ? input[r.lowerBound] : pool[r.lowerBound]) == 0x20 else { break }
                i += consumed
            }
        }
        guard i < n else { return }
        out.reserveCapacity(n + n / 2 + 8)
        let space = escapeWhitespaces ? SentencePieceNormalizer.spaceSymbol : [0x20]
        if !treatWhitespaceAsSuffix && addDummyPrefix { out += space }
        var isPreviousSpace = removeExtraWhitespaces
        SentencePieceNormalizer.replacementCharacter.withUnsafeBufferPointer { fffd in
            while i < n {
                let (source, r, consumed) = SentencePieceNormalizer.prefix(input, i, buffers)
                let text = source == .input ? input : source == .pool ? pool : fffd
                var lo = r.lowerBound
                while isPreviousSpace && lo < r.upperBound && text[lo] == 0x20 { lo += 1 }
                if lo < r.upperBound {
                    for k in lo..<r.upperBound {
                        if escapeWhitespaces && text[k] == 0x20 { out += SentencePieceNormalizer.spaceSymbol } else { out.append(text[k]) }
                    }
                    isPreviousSpace = text[r.upperBound - 1] == 0x20
                }
                i += consumed
                if !removeExtraWhitespaces { isPreviousSpace = false }
            }
        }
        if removeExtraWhitespaces {
            while out.count >= space.count && out[(out.count - space.count)...].elementsEqual(space) {
                out.removeLast(space.count)
            }
        }
        if treatWhitespaceAsSuffix && addDummyPrefix { out += space }
    }
}

/// UTF-8 as SentencePiece reads it (util.cc `DecodeUTF8`): a malformed sequence is one byte.
enum SentencePieceUTF8 {
    /// The length a lead byte announces (`OneCharLen`): 1 for ASCII and stray continuation bytes.
    @inline(__always)
    static func oneCharLength(_ b0: UInt8) -> Int { b0 < 0xC0 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4 }

    /// Whether a well-formed character starts at `i`, and its length (1 when it does not).
    @inline(__always)
    static func decode(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (valid: Bool, length: Int) {
        let b0 = p[i], left = p.count - i
        if b0 < 0x80 { return (true, 1) }
        @inline(__always) func trail(_ k: Int) -> Bool { p[i + k] & 0xC0 == 0x80 }
        @inline(__always) func bits(_ k: Int) -> UInt32 { UInt32(p[i + k] & 0x3F) }
        if left >= 2 && b0 & 0xE0 == 0xC0 {
            let cp = UInt32(b0 & 0x1F) << 6 | bits(1)
            if trail(1) && cp >= 0x80 { return (true, 2) }
        } else if left >= 3 && b0 & 0xF0 == 0xE0 {
            let cp = UInt32(b0 & 0x0F) << 12 | bits(1) << 6 | bits(2)
            if trail(1) && trail(2) && cp >= 0x800 && !(0xD800..<0xE000).contains(cp) { return (true, 3) }
        } else if left >= 4 && b0 & 0xF8 == 0xF0 {
            let cp = UInt32(b0 & 0x07) << 18 | bits(1) << 12 | bits(2) << 6 | bits(3)
            if trail(1) && trail(2) && trail(3) && cp >= 0x10000 && cp <= 0x10FFFF { return (true, 4) }
        }
        return (false, 1)
    }
}
