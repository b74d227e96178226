import Foundation

/// One step of text normalization, run before pre-tokenization (Hugging Face's `normalizer`).
public enum NormalizerStep: Equatable, Sendable {
    case nfc, nfd, nfkc, nfkd
    case lowercase
    /// Prepends the text to non-empty input (`Prepend`): how the metaspace mode marks the first word.
    case prepend(String)
    /// Replaces every occurrence of a literal string (`Replace` with a `String` pattern).
    case replace(pattern: String, content: String)
    /// Replaces every match of a regex (`Replace` with a `Regex` pattern).
    case replaceRegex(TokenRegex, content: String)
    /// Removes combining marks (general category M), without decomposing first (`StripAccents`).
    case stripAccents
    /// BERT's normalizer (`BertNormalizer`); `stripAccents` nil follows `lowercase`.
    case bert(cleanText: Bool, handleChineseChars: Bool, stripAccents: Bool?, lowercase: Bool)
    /// Removes leading and/or trailing whitespace (`Strip`).
    case strip(left: Bool, right: Bool)
    /// SentencePiece's compiled character map as Hugging Face's `Precompiled` applies it.
    case precompiled(PrecompiledCharsMap)
    /// SentencePiece's `nmt` rules as Hugging Face's `Nmt`: ASCII controls removed, other
    /// separators (tab, newline, zero-width, BOM, …) made spaces.
    case nmt

    /// Applies `steps` in order to UTF-8 `bytes`.
    static func apply(_ steps: [NormalizerStep], to bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        for step in steps {
            // ASCII text is every normalization form of itself.
            switch step {
            case .nfc, .nfd, .nfkc, .nfkd: if out.allSatisfy({ $0 < 0x80 }) { continue }
            default: break
            }
            switch step {
            case .nfc: out = Array(String(decoding: out, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
            case .nfd: out = Array(String(decoding: out, as: UTF8.self).decomposedStringWithCanonicalMapping.utf8)
            case .nfkc: out = Array(String(decoding: out, as: UTF8.self).precomposedStringWithCompatibilityMapping.utf8)
            case .nfkd: out = Array(String(decoding: out, as: UTF8.self).decomposedStringWithCompatibilityMapping.utf8)
            case .lowercase: out = lowercased(out)
            case let .prepend(s): if !out.isEmpty { out = Array(s.utf8) + out }
            case let .replace(pattern, content): out = replacing(Array(pattern.utf8), with: Array(content.utf8), in: out)
            case let .replaceRegex(regex, content): out = regex.replacingMatches(in: out, with: Array(content.utf8))
            case .stripAccents: out = filterScalars(out) { !isMark($0) }
            case let .bert(clean, chinese, strip, lower): out = BertNormalizer.apply(out, clean, chinese, strip ?? lower, lower)
            case let .strip(left, right): out = stripped(out, left: left, right: right)
            case let .precompiled(map): out = map.normalizeGraphemes(out)
            case .nmt:
                var mapped: [UInt8] = []
                out.withUnsafeBufferPointer { _ = nmt($0, into: &mapped) }
                out = mapped
            }
        }
        return out
    }

    /// Appends `Nmt` of UTF-8 `text` to `out`; true when what it appended is ASCII.
    static func nmt(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        var ascii = true, i = 0
        while i < text.count {
            let (c, n) = UTF8Scalars.decode(text, at: i)
            i += n
            switch c {
            case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x8F, 0x9F: continue
            case 0x09, 0x0A, 0x0C, 0x0D, 0x1680, 0x200B...0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD: out.append(0x20)
            default:
                if c >= 0x80 { ascii = false }
                out.append(contentsOf: text[(i - n)..<i])
            }
        }
        return ascii
    }

    /// Lowercasing scalar by scalar, as `tokenizers` does with Rust's `char::to_lowercase`
    /// (so Σ is always σ: no final-sigma rule), ASCII on a fast path.
    static func lowercased(_ bytes: [UInt8]) -> [UInt8] {
        if bytes.allSatisfy({ $0 < 0x80 }) { return bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } }
        var out = ""
        for c in String(decoding: bytes, as: UTF8.self).unicodeScalars { out += c.properties.lowercaseMapping }
        return Array(out.utf8)
    }

    static func isMark(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// The scalars of `bytes` that `keep` accepts.
    static func filterScalars(_ bytes: [UInt8], _ keep: (Unicode.Scalar) -> Bool) -> [UInt8] {
        var out = String.UnicodeScalarView()
        for c in String(decoding: bytes, as: UTF8.self).unicodeScalars where keep(c) { out.append(c) }
        return Array(String(out).utf8)
    }

    private static func stripped(_ bytes: [UInt8], left: Bool, right: Bool) -> [UInt8] {
        var scalars = Substring(String(decoding: bytes, as: UTF8.self)).unicodeScalars
        if left { while let c = scalars.first, c.properties.isWhitespace { scalars.removeFirst() } }
        if right { while let c = scalars.last, c.properties.isWhitespace { scalars.removeLast() } }
        return Array(String(scalars).utf8)
    }

    private static func replacing(_ pattern: [UInt8], with content: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == pattern[0], i + pattern.count <= bytes.count, bytes[i..<i + pattern.count].elementsEqual(pattern) {
                out += content
                i += pattern.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}
