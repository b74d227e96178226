import Foundation

/// One step of text normalization, run before pre-tokenization (Hugging Face's `normalizer`).
public enum NormalizerStep: Equatable, Sendable {
    case nfc, nfd, nfkc, nfkd
    case lowercase
    /// Prepends the text to non-empty input (`Prepend`): how the metaspace mode marks the first word.
    case prepend(String)
    /// Replaces every occurrence of a literal string (`Replace` with a `String` pattern).
    case replace(pattern: String, content: String)
    /// SentencePiece's compiled character map as Hugging Face's `Precompiled` applies it.
    case precompiled(PrecompiledCharsMap)

    /// Applies `steps` in order to UTF-8 `bytes`.
    static func apply(_ steps: [NormalizerStep], to bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        for step in steps {
            switch step {
            case .nfc: out = Array(String(decoding: out, as: UTF8.self).precomposedStringWithCanonicalMapping.utf8)
            case .nfd: out = Array(String(decoding: out, as: UTF8.self).decomposedStringWithCanonicalMapping.utf8)
            case .nfkc: out = Array(String(decoding: out, as: UTF8.self).precomposedStringWithCompatibilityMapping.utf8)
            case .nfkd: out = Array(String(decoding: out, as: UTF8.self).decomposedStringWithCompatibilityMapping.utf8)
            case .lowercase: out = lowercased(out)
            case let .prepend(s): if !out.isEmpty { out = Array(s.utf8) + out }
            case let .replace(pattern, content): out = replacing(Array(pattern.utf8), with: Array(content.utf8), in: out)
            case let .precompiled(map): out = map.normalizeGraphemes(out)
            }
        }
        return out
    }

    /// Full Unicode lowercasing as Rust's `to_lowercase` does it, final sigma included
    /// (`String.lowercased()` maps every Σ to σ).
    private static func lowercased(_ bytes: [UInt8]) -> [UInt8] {
        let scalars = Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
        func casedAfterIgnorables<S: Sequence>(_ seq: S) -> Bool where S.Element == Unicode.Scalar {
            for c in seq where !c.properties.isCaseIgnorable { return c.properties.isCased }
            return false
        }
        var out = ""
        for (i, c) in scalars.enumerated() {
            if c.value == 0x3A3 {
                let final = casedAfterIgnorables(scalars[..<i].reversed()) && !casedAfterIgnorables(scalars[(i + 1)...])
                out += final ? "\u{3C2}" : "\u{3C3}"
            } else {
                out += c.properties.lowercaseMapping
            }
        }
        return Array(out.utf8)
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
