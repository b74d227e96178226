import JSONText

/// One step turning token strings back into text (Hugging Face's `decoder`).
/// Steps work on UTF-8 bytes per token; the final bytes are decoded leniently.
public enum DecoderStep: Equatable, Sendable {
    /// Maps byte-level characters back to bytes and joins all tokens into one.
    case byteLevel
    /// Metaspace: the marker becomes a space, and is dropped in the first token unless `never`.
    case metaspace(replacement: String, prependScheme: PrependScheme)
    /// Removes up to `start` leading and `stop` trailing `content` characters from each token.
    case strip(content: String, start: Int, stop: Int)
    /// Replaces a literal string in each token.
    case replace(pattern: String, content: String)
    /// Tokens `<0xXX>` become bytes (invalid runs become one U+FFFD per byte).
    case byteFallback
    /// Joins all tokens into one.
    case fuse
    /// Replaces every match of a regex in each token.
    case replaceRegex(TokenRegex, content: String)
    /// WordPiece: tokens after the first lose `prefix` or gain a leading space; `cleanup` undoes
    /// the spaces BERT's tokenization puts before punctuation and contractions.
    case wordPiece(prefix: String, cleanup: Bool)
    /// BPE with an end-of-word suffix: the suffix becomes a space (nothing on the last token).
    case bpe(suffix: String)
    /// CTC: repeated tokens collapse, the pad token vanishes, the word delimiter becomes a space.
    case ctc(padToken: String, wordDelimiter: String, cleanup: Bool)
    /// SentencePiece's decoding of a `.model`'s pieces, into one token.
    case sentencePiece(SentencePieceDecoder)
    /// MarianTokenizer's decoding, into one token.
    case marian(MarianDecoder)

    static func apply(_ steps: [DecoderStep], to tokens: [[UInt8]]) -> [UInt8] {
        var tokens = tokens
        for step in steps {
            switch step {
            case .byteLevel:
                var out: [UInt8] = []
                for t in tokens { out += ByteLevelAlphabet.bytes(ofToken: t) ?? t }
                tokens = [out]
            case .fuse:
                tokens = [tokens.flatMap { $0 }]
            case let .metaspace(replacement, scheme):
                let marker = Array(replacement.utf8)
                for k in tokens.indices {
                    let drop = k == 0 && scheme != .never
                    tokens[k] = replacing(marker, with: drop ? [] : [0x20], in: tokens[k])
                }
            case let .replace(pattern, content):
                for k in tokens.indices { tokens[k] = replacing(Array(pattern.utf8), with: Array(content.utf8), in: tokens[k]) }
            case let .strip(content, start, stop):
                let c = Array(content.utf8)
                for k in tokens.indices { tokens[k] = strip(tokens[k], c, start, stop) }
            case .byteFallback:
                tokens = byteFallback(tokens)
            case let .replaceRegex(regex, content):
                for k in tokens.indices { tokens[k] = regex.replacingMatches(in: tokens[k], with: Array(content.utf8)) }
            case let .wordPiece(prefix, cleanup):
                let p = Array(prefix.utf8)
                for k in tokens.indices {
                    if k > 0 { tokens[k] = tokens[k].starts(with: p) ? Array(tokens[k][p.count...]) : [0x20] + tokens[k] }
                    if cleanup { tokens[k] = cleaned(tokens[k]) }
                }
            case let .bpe(suffix):
                let s = Array(suffix.utf8)
                for k in tokens.indices { tokens[k] = replacing(s, with: k == tokens.count - 1 ? [] : [0x20], in: tokens[k]) }
            case let .ctc(pad, delimiter, cleanup):
                var out: [[UInt8]] = []
                for (k, t) in tokens.enumerated() where k == 0 || tokens[k - 1] != t {
                    var r = replacing(Array(pad.utf8), with: [], in: t)
                    if cleanup { r = replacing(Array(delimiter.utf8), with: [0x20], in: cleaned(r)) }
                    if !r.isEmpty { out.append(r) }
                }
                tokens = out
            case let .sentencePiece(d):
                tokens = [d.decode(tokens)]
            case let .marian(d):
                tokens = [d.decode(tokens)]
            }
        }
        return tokens.flatMap { $0 }
    }

    private static func replacing(_ pattern: [UInt8], with content: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        NormalizerStep.apply([.replace(pattern: String(decoding: pattern, as: UTF8.self),
                                       content: String(decoding: content, as: UTF8.self))], to: bytes)
    }

    /// `tokenizers`' `wordpiece::cleanup` (transformers' `clean_up_tokenization`), in its order.
    static func cleaned(_ t: [UInt8]) -> [UInt8] {
        var out = t
        for (a, b) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                       (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            out = replacing(Array(a.utf8), with: Array(b.utf8), in: out)
        }
        return out
    }

    private static func strip(_ t: [UInt8], _ c: [UInt8], _ start: Int, _ stop: Int) -> [UInt8] {
        guard !c.isEmpty else { return t }
        var lo = 0, hi = t.count
        for _ in 0..<start where hi - lo >= c.count && t[lo..<lo + c.count].elementsEqual(c) { lo += c.count }
        for _ in 0..<stop where hi - lo >= c.count && t[hi - c.count..<hi].elementsEqual(c) { hi -= c.count }
        return Array(t[lo..<hi])
    }

    private static func byteFallback(_ tokens: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = [], pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            let valid = pending.withUnsafeBufferPointer { UTF8Validation.firstInvalidIndex($0) == nil }
            if valid { out.append(pending) } else { out += Array(repeating: Array("\u{FFFD}".utf8), count: pending.count) }
            pending.removeAll()
        }
        for t in tokens {
            if t.count == 6, t.starts(with: Array("<0x".utf8)), t[5] == UInt8(ascii: ">"),
               let b = UInt8(String(decoding: t[3..<5], as: UTF8.self), radix: 16) {
                pending.append(b)
            } else {
                flush()
                out.append(t)
            }
        }
        flush()
        return out
    }
}
