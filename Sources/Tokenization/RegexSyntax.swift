// The parser of the tokenizer regex engine: Oniguruma's Ruby syntax as `tokenizer.json` files use
// it (Split pre-tokenizers, Replace normalizers and decoders): alternation, groups (capturing,
// non-capturing, `(?i:…)`, atomic), classes, `\s \d \w \p{…}` escapes, greedy, lazy and possessive
// quantifiers, anchors and lookaround. Backreferences and conditionals are refused by name.

/// Why a pattern does not compile, with the scalar offset where the parser stopped.
public struct RegexSyntaxError: Error, CustomStringConvertible, Equatable {
    public let pattern: String
    public let offset: Int
    public let reason: String
    public var description: String { "regex \"\(pattern)\" at \(offset): \(reason)" }
}

enum RepetitionMode { case greedy, lazy, possessive }

enum RegexAnchor {
    /// `^` and `$`: Ruby syntax anchors them at line boundaries.
    case lineStart, lineEnd
    /// `\A`, `\z`, `\Z` (end or before a final newline).
    case textStart, textEnd, textEndBeforeNewline
    case wordBoundary, notWordBoundary
}

indirect enum RegexNode {
    case empty
    case literal(UInt32, caseInsensitive: Bool)
    case set(CharSetSpec)
    case concat([RegexNode])
    case alternation([RegexNode])
    case repetition(RegexNode, min: Int, max: Int?, mode: RepetitionMode)
    case atomic(RegexNode)
    case look(RegexNode, behind: Bool, negated: Bool)
    case anchor(RegexAnchor)
}

struct RegexParser {
    static let maxRepeat = 100_000, maxDepth = 200

    private let text: [UInt32]
    private let pattern: String
    private var i = 0
    private var depth = 0

    init(_ pattern: String) {
        self.pattern = pattern
        text = pattern.unicodeScalars.map(\.value)
    }

    static func parse(_ pattern: String) throws(RegexSyntaxError) -> RegexNode {
        var p = RegexParser(pattern)
        let node = try p.alternation(caseInsensitive: false)
        if p.i < p.text.count { throw p.error("unbalanced \")\"") }
        return node
    }

    private func error(_ reason: String) -> RegexSyntaxError { RegexSyntaxError(pattern: pattern, offset: i, reason: reason) }
    private var atEnd: Bool { i >= text.count }
    private func peek(_ k: Int = 0) -> UInt32? { i + k < text.count ? text[i + k] : nil }
    private func isChar(_ c: Character, at k: Int = 0) -> Bool { peek(k) == c.unicodeScalars.first!.value }

    private mutating func alternation(caseInsensitive: Bool) throws(RegexSyntaxError) -> RegexNode {
        depth += 1
        defer { depth -= 1 }
        if depth > RegexParser.maxDepth { throw error("groups nested deeper than \(RegexParser.maxDepth)") }
        var fold = caseInsensitive
        var branches: [RegexNode] = [try sequence(&fold)]
        while isChar("|") {
            i += 1
            branches.append(try sequence(&fold))
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    /// Items up to `|`, `)` or the end; `(?i)` in the middle changes `fold` for the rest of the group.
    private mutating func sequence(_ fold: inout Bool) throws(RegexSyntaxError) -> RegexNode {
        var items: [RegexNode] = []
        while let c = peek(), c != 0x7C, c != 0x29 {  // | )
            if c == 0x28, isChar("?", at: 1), let flag = try inlineFlags() {
                fold = flag
                continue
            }
            var atom = try atom(fold)
            atom = try quantified(atom)
            items.append(atom)
        }
        return items.count == 1 ? items[0] : items.isEmpty ? .empty : .concat(items)
    }

    /// `(?i)` / `(?-i)` standing alone: the new case-insensitivity, or nil if this is a group.
    private mutating func inlineFlags() throws(RegexSyntaxError) -> Bool? {
        var k = 2, on = true, value: Bool?
        while let c = peek(k) {
            switch c {
            case 0x2D: on = false  // -
            case 0x69: value = on  // i
            case 0x6D, 0x78: break  // m, x: accepted only where they change nothing here
            case 0x29: if let value { i += k + 1; return value }; return nil
            default: return nil
            }
            k += 1
        }
        return nil
    }

    private mutating func quantified(_ atom: RegexNode) throws(RegexSyntaxError) -> RegexNode {
        var node = atom
        while let c = peek() {
            var bounds: (Int, Int?)
            var braces = false
            switch c {
            case 0x2A: bounds = (0, nil); i += 1  // *
            case 0x2B: bounds = (1, nil); i += 1  // +
            case 0x3F: bounds = (0, 1); i += 1  // ?
            case 0x7B:  // {
                guard let b = try braceBounds() else { return node }
                bounds = b; braces = true
            default: return node
            }
            if case .anchor = node { throw error("quantifier after an anchor") }
            if case .look = node { throw error("quantifier after a lookaround") }
            var mode = RepetitionMode.greedy
            if isChar("?") { mode = .lazy; i += 1 }
            // Ruby syntax: `{n,m}+` repeats again rather than being possessive.
            else if isChar("+"), !braces { mode = .possessive; i += 1 }
            node = .repetition(node, min: bounds.0, max: bounds.1, mode: mode)
        }
        return node
    }

    /// `{n}`, `{n,}`, `{n,m}`, `{,m}`; nil (and nothing consumed) when the brace is a literal.
    private mutating func braceBounds() throws(RegexSyntaxError) -> (Int, Int?)? {
        var k = 1
        func number(_ k: inout Int) -> Int? {
            var v = 0, digits = 0
            while let c = peek(k), (0x30...0x39).contains(c) {
                v = min(v * 10 + Int(c - 0x30), Int(Int32.max)); digits += 1; k += 1
            }
            return digits > 0 ? v : nil
        }
        let low = number(&k)
        var high: Int?
        if peek(k) == 0x2C {
            k += 1
            high = number(&k)
            guard low != nil || high != nil else { return nil }
        } else {
            guard low != nil else { return nil }
            high = low
        }
        guard peek(k) == 0x7D else { return nil }
        let lo = low ?? 0
        if lo > RegexParser.maxRepeat || (high ?? 0) > RegexParser.maxRepeat { throw error("repeat count above \(RegexParser.maxRepeat)") }
        if let h = high, h < lo { throw error("repeat range {\(lo),\(h)} is backwards") }
        i += k + 1
        return (lo, high)
    }

    private mutating func atom(_ fold: Bool) throws(RegexSyntaxError) -> RegexNode {
        let c = text[i]
        switch c {
        case 0x28: return try group(fold)
        case 0x5B: i += 1; return .set(try bracket(fold))
        case 0x2E: i += 1; return .set(CharSetSpec(items: [.notNewline]))
        case 0x5E: i += 1; return .anchor(.lineStart)
        case 0x24: i += 1; return .anchor(.lineEnd)
        case 0x2A, 0x2B, 0x3F: throw error("quantifier with nothing to repeat")
        case 0x5C: return try escape(fold)
        default:
            i += 1
            return .literal(c, caseInsensitive: fold)
        }
    }

    private mutating func group(_ fold: Bool) throws(RegexSyntaxError) -> RegexNode {
        i += 1  // (
        var node: RegexNode
        if isChar("?") {
            i += 1
            guard let c = peek() else { throw error("unterminated group") }
            switch c {
            case 0x3A: i += 1; node = try alternation(caseInsensitive: fold)  // (?:
            case 0x3D, 0x21:  // (?= (?!
                i += 1
                node = .look(try alternation(caseInsensitive: fold), behind: false, negated: c == 0x21)
            case 0x3E: i += 1; node = .atomic(try alternation(caseInsensitive: fold))  // (?>
            case 0x3C where isChar("=", at: 1) || isChar("!", at: 1):  // (?<= (?<!
                let negated = isChar("!", at: 1)
                i += 2
                node = .look(try alternation(caseInsensitive: fold), behind: true, negated: negated)
            case 0x3C, 0x50, 0x27:  // (?<name> (?P<name> (?'name'
                if c == 0x50 { i += 1 }
                let close: UInt32 = isChar("'") ? 0x27 : 0x3E
                i += 1
                while let d = peek(), d != close { i += 1 }
                if atEnd { throw error("unterminated group name") }
                i += 1
                node = try alternation(caseInsensitive: fold)
            default:
                // (?i:…), (?-i:…), (?im-x:…)
                var on = true, newFold = fold
                while let d = peek(), d != 0x3A {
                    switch d {
                    case 0x2D: on = false
                    case 0x69: newFold = on
                    case 0x6D, 0x78: break
                    default: throw error("unsupported group syntax (?\(String(Unicode.Scalar(d).map(Character.init) ?? "?"))")
                    }
                    i += 1
                }
                if atEnd { throw error("unterminated group") }
                i += 1
                node = try alternation(caseInsensitive: newFold)
            }
        } else {
            node = try alternation(caseInsensitive: fold)
        }
        guard isChar(")") else { throw error("missing \")\"") }
        i += 1
        return node
    }

    private mutating func escape(_ fold: Bool) throws(RegexSyntaxError) -> RegexNode {
        i += 1
        guard let c = peek() else { throw error("trailing backslash") }
        switch c {
        case 0x41: i += 1; return .anchor(.textStart)  // \A
        case 0x7A: i += 1; return .anchor(.textEnd)  // \z
        case 0x5A: i += 1; return .anchor(.textEndBeforeNewline)  // \Z
        case 0x62: i += 1; return .anchor(.wordBoundary)  // \b
        case 0x42: i += 1; return .anchor(.notWordBoundary)  // \B
        case 0x31...0x39: throw error("backreferences are not supported")
        case 0x6B where isChar("<", at: 1): throw error("backreferences are not supported")
        case 0x47, 0x4B, 0x52, 0x58, 0x67: throw error("\\\(Character(Unicode.Scalar(c)!)) is not supported")
        default: break
        }
        if let item = try classEscape() { return .set(CharSetSpec(items: [item], caseInsensitive: fold)) }
        return .literal(try literalEscape(), caseInsensitive: fold)
    }

    /// `\s \S \d \D \w \W \h \H \p{…} \P{…}` at `i` (just past the backslash), or nil.
    private mutating func classEscape() throws(RegexSyntaxError) -> CharSetItem? {
        let c = text[i]
        let item: CharSetItem
        switch c {
        case 0x73, 0x53: item = .whitespace  // s S
        case 0x64, 0x44: item = .categories(1 << 8)  // d D: decimal numbers
        case 0x77, 0x57: item = .word  // w W
        case 0x68, 0x48: item = .hexDigit  // h H
        case 0x70, 0x50:  // p P
            i += 1
            guard isChar("{") else { throw error("\\p needs {name}") }
            i += 1
            var negated = c == 0x50
            if isChar("^") { negated.toggle(); i += 1 }
            var name = ""
            while let d = peek(), d != 0x7D, let s = Unicode.Scalar(d) { name.unicodeScalars.append(s); i += 1 }
            guard isChar("}") else { throw error("unterminated \\p{") }
            i += 1
            guard let property = RegexParser.property(name) else { throw error("unknown property \\p{\(name)}") }
            return negated ? .not(property) : property
        default: return nil
        }
        i += 1
        return c < 0x61 ? .not(item) : item  // uppercase letter: the complement
    }

    static func property(_ name: String) -> CharSetItem? {
        var key = name
        for prefix in ["Script=", "sc=", "General_Category=", "gc="] where key.hasPrefix(prefix) { key.removeFirst(prefix.count) }
        if let mask = UnicodeFlags.categoryMask(named: key) { return .categories(mask) }
        if let ranges = UnicodeScripts.ranges.first(where: { $0.key.lowercased() == key.lowercased() })?.value { return .script(ranges) }
        switch key.lowercased() {
        case "any": return .not(.categories(0))
        case "space", "white_space", "whitespace": return .whitespace
        case "word": return .word
        case "alpha", "alphabetic": return .categories(0b11111 | 1 << 9)
        case "digit": return .categories(1 << 8)
        case "alnum": return .nested(CharSetSpec(items: [.categories(0b11111 | 1 << 8 | 1 << 9)]))
        case "punct": return .categories(0b111_1111 << 11)
        case "upper": return .categories(1)
        case "lower": return .categories(2)
        case "ascii": return .range(0, 0x7F)
        default: return nil
        }
    }

    /// A single-scalar escape at `i`: `\t \n \r \f \v \a \e \0 \xHH \x{…} \uHHHH \cX`, or an escaped literal.
    private mutating func literalEscape() throws(RegexSyntaxError) -> UInt32 {
        let c = text[i]
        i += 1
        switch c {
        case 0x74: return 0x09
        case 0x6E: return 0x0A
        case 0x72: return 0x0D
        case 0x66: return 0x0C
        case 0x76: return 0x0B
        case 0x61: return 0x07
        case 0x65: return 0x1B
        case 0x30:  // \0, \0oo
            var v: UInt32 = 0, n = 0
            while n < 2, let d = peek(), (0x30...0x37).contains(d) { v = v * 8 + d - 0x30; i += 1; n += 1 }
            return v
        case 0x78:  // \xHH, \x{H…}
            if isChar("{") {
                i += 1
                let v = try hex(maxDigits: 8)
                guard isChar("}") else { throw error("unterminated \\x{") }
                i += 1
                return try scalar(v)
            }
            return try scalar(try hex(maxDigits: 2))
        case 0x75: return try scalar(try hex(maxDigits: 4, exactly: true))  // \uHHHH
        case 0x63:  // \cX
            guard let d = peek() else { throw error("\\c needs a character") }
            i += 1
            return d & 0x1F
        default:
            if (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) {
                i -= 1
                throw error("unknown escape \\\(Character(Unicode.Scalar(c)!))")
            }
            return c
        }
    }

    private mutating func hex(maxDigits: Int, exactly: Bool = false) throws(RegexSyntaxError) -> UInt32 {
        var v: UInt32 = 0, n = 0
        while n < maxDigits, let d = peek(), let h = Character(Unicode.Scalar(d)!).hexDigitValue {
            v = v * 16 + UInt32(h); i += 1; n += 1
        }
        if n == 0 || (exactly && n != maxDigits) { throw error("bad hexadecimal escape") }
        return v
    }

    private func scalar(_ v: UInt32) throws(RegexSyntaxError) -> UInt32 {
        guard Unicode.Scalar(v) != nil else { throw error("escape names no Unicode scalar") }
        return v
    }

    /// A bracket expression after its `[`, up to and including `]`.
    private mutating func bracket(_ fold: Bool) throws(RegexSyntaxError) -> CharSetSpec {
        depth += 1
        defer { depth -= 1 }
        if depth > RegexParser.maxDepth { throw error("classes nested deeper than \(RegexParser.maxDepth)") }
        var spec = CharSetSpec(caseInsensitive: fold)
        if isChar("^") { spec.negated = true; i += 1 }
        var first = true
        while true {
            guard let c = peek() else { throw error("unterminated [class]") }
            if c == 0x5D && !first { i += 1; break }
            first = false
            if c == 0x5B, isChar(":", at: 1) {
                spec.items.append(try posixClass())
                continue
            }
            if c == 0x5B {
                i += 1
                spec.items.append(.nested(try bracket(fold)))
                continue
            }
            if c == 0x26, isChar("&", at: 1) { throw error("class intersection && is not supported") }
            let low: UInt32
            if c == 0x5C {
                i += 1
                guard !atEnd else { throw error("trailing backslash") }
                if let item = try classEscape() { spec.items.append(item); continue }
                if isChar("b") { i += 1; low = 0x08 } else { low = try literalEscape() }
            } else {
                i += 1
                low = c
            }
            // A range `a-z`, unless the `-` ends the class.
            if isChar("-"), let next = peek(1), next != 0x5D {
                i += 1
                var high: UInt32
                if next == 0x5C {
                    i += 1
                    guard !atEnd else { throw error("trailing backslash") }
                    if isChar("b") { i += 1; high = 0x08 } else { high = try literalEscape() }
                } else if next == 0x5B {
                    throw error("range ending in a class")
                } else {
                    i += 1
                    high = next
                }
                if high < low { throw error("class range is backwards") }
                spec.items.append(.range(low, high))
            } else {
                spec.items.append(.range(low, low))
            }
        }
        return spec
    }

    /// `[:alpha:]` and friends inside a bracket expression.
    private mutating func posixClass() throws(RegexSyntaxError) -> CharSetItem {
        i += 2
        var negated = false
        if isChar("^") { negated = true; i += 1 }
        var name = ""
        while let c = peek(), c != 0x3A, let s = Unicode.Scalar(c) { name.unicodeScalars.append(s); i += 1 }
        guard isChar(":"), isChar("]", at: 1) else { throw error("unterminated [:class:]") }
        i += 2
        let item: CharSetItem
        switch name {
        case "space": item = .whitespace
        case "xdigit": item = .hexDigit
        case "cntrl": item = .categories(1 << 25)
        default:
            guard let p = RegexParser.property(name) else { throw error("unknown class [:\(name):]") }
            item = p
        }
        return negated ? .not(item) : item
    }
}
