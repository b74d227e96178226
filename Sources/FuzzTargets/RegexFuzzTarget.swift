// The tokenizer regex engine: arbitrary patterns compile or throw RegexSyntaxError, and a
// compiled pattern searched over arbitrary text finishes (the matcher's step bound; a hang is a
// libFuzzer timeout) with matches in order, within the text, on scalar boundaries.
//
// Input: byte 0 is the pattern's length n, bytes 1...n the pattern, the rest the text (both read
// as UTF-8, invalid bytes replaced).
import Tokenization

extension FuzzTargets {
    static func regex(_ bytes: [UInt8]) throws {
        guard let first = bytes.first else { return }
        let end = min(bytes.count, 1 + Int(first))
        let pattern = String(decoding: bytes[1..<end], as: UTF8.self)
        let text = String(decoding: bytes[end...], as: UTF8.self)
        guard let regex = try? TokenRegex(pattern) else { return }
        let utf8 = Array(text.utf8)
        var last = 0
        for match in regex.matches(in: text) {
            try require(match.lowerBound >= last && match.upperBound <= utf8.count, "matches out of order or past the text")
            for bound in [match.lowerBound, match.upperBound] where bound < utf8.count {
                try require(utf8[bound] & 0xC0 != 0x80, "match boundary inside a scalar")
            }
            last = match.upperBound
        }
    }
}
