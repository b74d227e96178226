// Tokenizer13a: the "13a" tokenizer of mteval-v13a.pl that sacreBLEU's BLEU uses by default.
//   1. drop "<skipped>", join "-\n" hyphenations, "\n" → " ", unescape &quot; &amp; &lt; &gt;
//   2. pad with spaces, then the four regex substitutions of sacreBLEU's TokenizerRegexp:
//      [{-~ [-` space-& (-+ :-@ /]  → " \1 "    (symbols; not ' , - .)
//      ([^0-9])([.,])               → "\1 \2 "  (period/comma unless preceded by a digit)
//      ([.,])([^0-9])               → " \1 \2"  (period/comma unless followed by a digit)
//      ([0-9])(-)                   → "\1 \2 "  (dash after a digit)
//   3. split on whitespace.
// Works on Unicode scalars, as Python does on code points.

public enum Tokenizer13a {
    typealias Token = [Unicode.Scalar]

    /// The tokenized line, tokens joined by single spaces (sacreBLEU's `Tokenizer13a()(line)`).
    public static func tokenize(_ line: String) -> String {
        String(scalars: tokens(Array(line.unicodeScalars)).joined(separator: [" "]))
    }

    static func tokens(_ line: [Unicode.Scalar]) -> [Token] {
        var text = line
        // Order matters and matches sacreBLEU: "&amp;lt;" ends as "<", "-<skipped>\n" as "".
        text = replace(text, "<skipped>", "")
        text = replace(text, "-\n", "")
        text = replace(text, "\n", " ")
        if text.contains("&") {
            text = replace(text, "&quot;", "\"")
            text = replace(text, "&amp;", "&")
            text = replace(text, "&lt;", "<")
            text = replace(text, "&gt;", ">")
        }
        // The padding is visible to the rules below: a leading ".9" becomes ". 9".
        text = [" "] + text + [" "]
        text = text.flatMap { isSymbol($0) ? [" ", $0, " "] : [$0] }
        text = substitutePairs(text, where: { !isDigit($0) && isPeriodOrComma($1) }) { [$0, " ", $1, " "] }
        text = substitutePairs(text, where: { isPeriodOrComma($0) && !isDigit($1) }) { [" ", $0, " ", $1] }
        text = substitutePairs(text, where: { isDigit($0) && $1 == "-" }) { [$0, " ", $1, " "] }
        return text.splitOnPythonWhitespace()
    }

    private static func replace(_ text: [Unicode.Scalar], _ target: String, _ replacement: String)
        -> [Unicode.Scalar]
    {
        text.replacing(Array(target.unicodeScalars), with: Array(replacement.unicodeScalars))
    }

    /// One `re.sub` pass of a two-character pattern. Matches never overlap: after a match the
    /// scan resumes behind both characters, so "x.,y" gives "x . ,y" (the "," is not revisited).
    private static func substitutePairs(
        _ text: [Unicode.Scalar],
        where matches: (Unicode.Scalar, Unicode.Scalar) -> Bool,
        with replacement: (Unicode.Scalar, Unicode.Scalar) -> [Unicode.Scalar]
    ) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count + text.count / 2)
        var i = 0
        while i < text.count {
            if i + 1 < text.count, matches(text[i], text[i + 1]) {
                result += replacement(text[i], text[i + 1])
                i += 2
            } else {
                result.append(text[i])
                i += 1
            }
        }
        return result
    }

    /// The first rule's class: ASCII punctuation and space except ' , - . (and no digits/letters).
    private static func isSymbol(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: return true
        default: return false
        }
    }

    /// ASCII digits only: the regexes spell the class [0-9], not \d.
    private static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

    private static func isPeriodOrComma(_ c: Unicode.Scalar) -> Bool { c == "." || c == "," }
}
