// The words BERT's WordPiece trainer counts: Hugging Face's `BertNormalizer` (clean text, CJK
// characters spaced, accents stripped, lowercase) followed by `BertPreTokenizer` (split on
// whitespace, each punctuation character a word of its own), fused into one pass per line.
// This is the counting side only: encoding with these components belongs to the tokenizer
// pipeline (the hfjson branch's BertNormalizer / BertPreTokenizer), which this duplicates in
// behaviour until the two are unified.
import Foundation

/// The options of Hugging Face's `BertNormalizer`.
public struct BertNormalization: Sendable, Equatable {
    public var cleanText = true
    public var handleChineseChars = true
    /// nil: strip accents exactly when lowercasing (BERT's default).
    public var stripAccents: Bool? = nil
    public var lowercase = true

    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }
}

struct BertWordSplitter: WordSplitter {
    let options: BertNormalization
    private let strip: Bool
    /// Normalized scalars of each non-ASCII scalar seen, so Foundation's NFD runs once per scalar.
    private var cache: [UInt32: [UInt32]] = [:]
    private var word: [UInt8] = []

    init(_ options: BertNormalization) {
        self.options = options
        strip = options.stripAccents ?? options.lowercase
    }

    mutating func forEachWord(in line: ArraySlice<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        word.removeAll(keepingCapacity: true)
        line.withUnsafeBufferPointer { p in
            var i = 0
            while i < p.count {
                let (c, n) = UTF8Scalars.decode(p, at: i)
                i += n
                if c < 0x80 {
                    var b = UInt8(c)
                    if options.cleanText && BertWordSplitter.isASCIIControl(b) { continue }
                    if options.lowercase && b >= 0x41 && b <= 0x5A { b += 0x20 }
                    emit(UInt32(b), body)
                } else {
                    if options.cleanText && (c == 0xFFFD || BertWordSplitter.isOther(c)) { continue }
                    for d in mapped(c) { emit(d, body) }
                }
            }
        }
        flush(body)
    }

    /// Tab, newline and carriage return count as whitespace; other ASCII controls are dropped.
    private static func isASCIIControl(_ b: UInt8) -> Bool {
        (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) || b == 0x7F
    }

    /// Unicode's C* categories (`char::is_other`): what `clean_text` removes.
    private static func isOther(_ c: UInt32) -> Bool {
        guard let s = Unicode.Scalar(c) else { return true }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    private static func isChinese(_ c: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(c) || (0x3400...0x4DBF).contains(c) || (0x20000...0x2A6DF).contains(c)
            || (0x2A700...0x2B73F).contains(c) || (0x2B740...0x2B81F).contains(c) || (0x2B920...0x2CEAF).contains(c)
            || (0xF900...0xFAFF).contains(c) || (0x2F800...0x2FA1F).contains(c)
    }

    /// A non-ASCII scalar after accent stripping (NFD, nonspacing marks dropped) and lowercasing.
    private mutating func mapped(_ c: UInt32) -> [UInt32] {
        if let m = cache[c] { return m }
        guard let s = Unicode.Scalar(c) else { return [] }
        var out: [UInt32] = []
        let decomposed = strip ? Array(String(Character(s)).decomposedStringWithCanonicalMapping.unicodeScalars) : [s]
        for d in decomposed where !(strip && d.properties.generalCategory == .nonspacingMark) {
            if options.lowercase {
                out += d.properties.lowercaseMapping.unicodeScalars.map(\.value)
            } else {
                out.append(d.value)
            }
        }
        cache[c] = out
        return out
    }

    /// Adds one normalized scalar: whitespace ends the word, punctuation and (optionally)
    /// CJK characters stand alone.
    private mutating func emit(_ c: UInt32, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        let flags = CharClass.of(c)
        if flags & CharClass.whitespace != 0 {
            flush(body)
        } else if flags & CharClass.punctuation != 0 || (options.handleChineseChars && BertWordSplitter.isChinese(c)) {
            flush(body)
            append(c)
            flush(body)
        } else {
            append(c)
        }
    }

    private mutating func append(_ c: UInt32) { UTF8Scalars.append(c, to: &word) }

    private mutating func flush(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard !word.isEmpty else { return }
        word.withUnsafeBufferPointer { body($0) }
        word.removeAll(keepingCapacity: true)
    }
}
