// BERT's text normalization (Devlin et al. 2019; Hugging Face's `BertNormalizer`): control
// characters dropped and whitespace made a space, CJK ideographs set apart by spaces, accents
// stripped (NFD, then nonspacing marks removed) and lowercasing.
import Foundation

enum BertNormalizer {
    /// Below this scalar no character decomposes into or is a combining mark's neighbour in a
    /// way that crosses scalars, so the text is the concatenation of each scalar's output.
    private static let tableEnd: UInt32 = 0x250

    /// Each scalar's output below `tableEnd`, for every combination of the four options.
    private static let tables: [[[UInt8]]] = (0..<16).map { flags in
        (0..<tableEnd).map { c in
            general(Array(String(Character(Unicode.Scalar(c)!)).utf8), flags & 1 != 0, flags & 2 != 0, flags & 4 != 0, flags & 8 != 0)
        }
    }

    static func apply(_ bytes: [UInt8], _ cleanText: Bool, _ chinese: Bool, _ stripAccents: Bool, _ lowercase: Bool) -> [UInt8] {
        // Latin text (the common case) by table, anything else the general way.
        let table = tables[(cleanText ? 1 : 0) | (chinese ? 2 : 0) | (stripAccents ? 4 : 0) | (lowercase ? 8 : 0)]
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let covered = bytes.withUnsafeBufferPointer { p -> Bool in
            var i = 0
            while i < p.count {
                let (c, n) = UTF8Scalars.decode(p, at: i)
                guard c < tableEnd else { return false }
                out += table[Int(c)]
                i += n
            }
            return true
        }
        return covered ? out : general(bytes, cleanText, chinese, stripAccents, lowercase)
    }

    private static func general(_ bytes: [UInt8], _ cleanText: Bool, _ chinese: Bool, _ stripAccents: Bool, _ lowercase: Bool) -> [UInt8] {
        var out = bytes
        if cleanText || chinese {
            var s = String.UnicodeScalarView()
            for c in String(decoding: out, as: UTF8.self).unicodeScalars {
                if cleanText {
                    if c.value == 0 || c.value == 0xFFFD || isControl(c) { continue }
                    if c.value == 0x09 || c.value == 0x0A || c.value == 0x0D || c.properties.isWhitespace { s.append(" "); continue }
                }
                if chinese && isChinese(c.value) {
                    s.append(" "); s.append(c); s.append(" ")
                } else {
                    s.append(c)
                }
            }
            out = Array(String(s).utf8)
        }
        if stripAccents {
            let decomposed = Array(String(decoding: out, as: UTF8.self).decomposedStringWithCanonicalMapping.utf8)
            out = NormalizerStep.filterScalars(decomposed) { $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase { out = NormalizerStep.lowercased(out) }
        return out
    }

    /// `tokenizers`' `is_other` as it behaves (Cc, Cf, Co; unassigned scalars are kept) less
    /// tab, newline and carriage return.
    private static func isControl(_ c: Unicode.Scalar) -> Bool {
        if c.value == 0x09 || c.value == 0x0A || c.value == 0x0D { return false }
        switch c.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT's tokenizer sets apart.
    static func isChinese(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B920...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}
