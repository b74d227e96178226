// Character classes of the tokenizer regex engine (Oniguruma's Ruby syntax, which Hugging Face
// `tokenizers` compiles its patterns with): `[...]` with ranges, negation and nesting, `.`,
// `\s \d \w \h` and `\p{…}` (general categories and a few scripts). Each class is evaluated
// once into a bitmap over the Basic Multilingual Plane, from bitmaps of its items; astral
// scalars test the class's items.

/// Per-scalar Unicode facts the classes need: general category, White_Space, word character.
enum UnicodeFlags {
    static let whitespaceBit: UInt8 = 0x20, wordBit: UInt8 = 0x40
    static let categoryMask: UInt8 = 0x1F

    /// Flags of every BMP scalar (surrogates: category Cs), built once.
    static let bmp: [UInt8] = (0..<0x10000).map { v in
        guard let s = Unicode.Scalar(UInt32(v)) else { return UInt8(categoryIndex(.surrogate)) }
        return compute(s)
    }

    @inline(__always)
    static func of(_ c: UInt32) -> UInt8 {
        if c < 0x10000 { return bmp[Int(c)] }
        guard let s = Unicode.Scalar(c) else { return 0 }
        return compute(s)
    }

    private static func compute(_ s: Unicode.Scalar) -> UInt8 {
        let p = s.properties
        var f = UInt8(categoryIndex(p.generalCategory))
        if p.isWhitespace { f |= whitespaceBit }
        // Unicode's word characters (UTS #18): alphabetic, marks, decimal digits, connector punctuation, joiners.
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: f |= wordBit
        default: if p.isAlphabetic || p.isJoinControl { f |= wordBit }
        }
        return f
    }

    /// The categories in a fixed order; a class holds a set of them as a bitmask.
    static let categories: [Unicode.GeneralCategory] = [
        .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
        .nonspacingMark, .spacingMark, .enclosingMark,
        .decimalNumber, .letterNumber, .otherNumber,
        .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
        .initialPunctuation, .finalPunctuation, .otherPunctuation,
        .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol,
        .spaceSeparator, .lineSeparator, .paragraphSeparator,
        .control, .format, .surrogate, .privateUse, .unassigned,
    ]

    static func categoryIndex(_ c: Unicode.GeneralCategory) -> Int { categories.firstIndex(of: c) ?? 29 }

    /// For each category (in `categories` order), the BMP bitmap of its scalars; built once.
    static let categoryBitmaps: [[UInt64]] = {
        var maps = [[UInt64]](repeating: [UInt64](repeating: 0, count: 1024), count: categories.count)
        for c in 0..<0x10000 { maps[Int(bmp[c] & categoryMask)][c >> 6] |= 1 << UInt64(c & 63) }
        return maps
    }()

    /// The BMP bitmaps of `\s` and `\w` (CharSetItem.contains); built once.
    static let itemBitmaps: (whitespace: [UInt64], word: [UInt64]) = {
        var whitespace = [UInt64](repeating: 0, count: 1024), word = whitespace
        for c in 0..<0x10000 {
            if CharSetItem.whitespace.contains(UInt32(c), flags: bmp[c]) { whitespace[c >> 6] |= 1 << UInt64(c & 63) }
            if CharSetItem.word.contains(UInt32(c), flags: bmp[c]) { word[c >> 6] |= 1 << UInt64(c & 63) }
        }
        return (whitespace, word)
    }()

    /// Category bitmask for a `\p{…}` name: one- and two-letter abbreviations and long names.
    static func categoryMask(named name: String) -> UInt32? {
        let abbreviations = ["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe",
                             "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"]
        let long = ["uppercaseletter", "lowercaseletter", "titlecaseletter", "modifierletter", "otherletter",
                    "nonspacingmark", "spacingmark", "enclosingmark", "decimalnumber", "letternumber", "othernumber",
                    "connectorpunctuation", "dashpunctuation", "openpunctuation", "closepunctuation",
                    "initialpunctuation", "finalpunctuation", "otherpunctuation", "mathsymbol", "currencysymbol",
                    "modifiersymbol", "othersymbol", "spaceseparator", "lineseparator", "paragraphseparator",
                    "control", "format", "surrogate", "privateuse", "unassigned"]
        let key = name.lowercased().filter { $0 != "_" && $0 != " " && $0 != "-" }
        if let i = abbreviations.firstIndex(where: { $0.lowercased() == key }) ?? long.firstIndex(of: key) { return 1 << UInt32(i) }
        let groups: [String: (String, String)] = [  // letter → (abbreviation, long name)
            "L": ("l", "letter"), "M": ("m", "mark"), "N": ("n", "number"), "P": ("p", "punctuation"),
            "S": ("s", "symbol"), "Z": ("z", "separator"), "C": ("c", "other"),
        ]
        for (letter, names) in groups where key == names.0 || key == names.1 || (letter == "L" && key == "l&") {
            var mask: UInt32 = 0
            for (i, a) in abbreviations.enumerated() where a.hasPrefix(letter) { mask |= 1 << UInt32(i) }
            if key == "l&" { mask &= 0b111 }  // cased letters
            return mask
        }
        if key == "combiningmark" { return 0b1110_0000 }
        if key == "cntrl" { return 1 << 25 }
        return nil
    }
}

/// One member of a class.
indirect enum CharSetItem: Sendable {
    case range(UInt32, UInt32)
    case categories(UInt32)
    case whitespace
    case word
    case hexDigit
    case script([ClosedRange<UInt32>])
    /// `.`: anything but a newline.
    case notNewline
    case nested(CharSetSpec)
    case not(CharSetItem)

    func contains(_ c: UInt32, flags f: UInt8) -> Bool {
        switch self {
        case let .range(a, b): return a <= c && c <= b
        case let .categories(mask): return mask & (1 << UInt32(f & UnicodeFlags.categoryMask)) != 0
        case .whitespace: return f & UnicodeFlags.whitespaceBit != 0
        // Oniguruma's `\w` leaves out the joiners and takes the Latin-1 superscripts and fractions.
        case .word:
            if c == 0x200C || c == 0x200D { return false }
            return f & UnicodeFlags.wordBit != 0 || c == 0xB2 || c == 0xB3 || c == 0xB9 || (0xBC...0xBE).contains(c)
        case .hexDigit: return (0x30...0x39).contains(c) || (0x41...0x46).contains(c) || (0x61...0x66).contains(c)
        case let .script(ranges):
            var lo = 0, hi = ranges.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if ranges[mid].upperBound < c { lo = mid + 1 } else { hi = mid }
            }
            return lo < ranges.count && ranges[lo].contains(c)
        case .notNewline: return c != 0x0A
        case let .nested(spec): return spec.contains(c)
        case let .not(item): return !item.contains(c, flags: f)
        }
    }
}

/// A class as written: the union of its items, maybe negated, maybe case-insensitive.
struct CharSetSpec: Sendable {
    var items: [CharSetItem] = []
    var negated = false
    var caseInsensitive = false

    func contains(_ c: UInt32) -> Bool {
        if rawContains(c) { return true }
        guard caseInsensitive else { return false }
        for v in CaseFolding.variants(of: c) where v != c && rawContains(v) { return true }
        return false
    }

    func rawContains(_ c: UInt32) -> Bool {
        let f = UnicodeFlags.of(c)
        return items.contains { $0.contains(c, flags: f) } != negated
    }
}

/// A compiled class: a bitmap over the BMP, the spec for everything above it.
struct CharSet: Sendable {
    private var bmp: [UInt64]
    private var spec: CharSetSpec

    init(_ spec: CharSetSpec) {
        self.spec = spec
        bmp = CharSet.bitmap(spec)
    }

    /// The BMP bitmap of `spec`, built a word at a time from its items' bitmaps, so that a class
    /// costs microseconds, not a test of every scalar: a pattern (from a tokenizer.json) with
    /// thousands of classes compiles at once.
    static func bitmap(_ spec: CharSetSpec) -> [UInt64] {
        var bits = [UInt64](repeating: 0, count: 1024)
        for item in spec.items { add(item, to: &bits) }
        if spec.negated { for k in 0..<1024 { bits[k] = ~bits[k] } }
        if spec.caseInsensitive {
            // A scalar is in when one of its case variants is (see CharSetSpec.contains).
            let raw = bits
            for (c, variants) in CaseFolding.bmpVariants where !test(raw, c) {
                if variants.contains(where: { $0 < 0x10000 ? test(raw, $0) : spec.rawContains($0) }) { set(&bits, c) }
            }
        }
        return bits
    }

    private static func add(_ item: CharSetItem, to bits: inout [UInt64]) {
        func or(_ other: [UInt64]) { for k in 0..<1024 { bits[k] |= other[k] } }
        switch item {
        case let .range(a, b): setRange(a, b, &bits)
        case let .script(ranges): for r in ranges { setRange(r.lowerBound, r.upperBound, &bits) }
        case .hexDigit: for (a, b) in [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)] as [(UInt32, UInt32)] { setRange(a, b, &bits) }
        case .notNewline: or([UInt64](repeating: ~0, count: 1024)); bits[0] &= ~(1 << 0x0A)
        case let .nested(spec): or(bitmap(spec))
        case let .not(inner):
            var excluded = [UInt64](repeating: 0, count: 1024)
            add(inner, to: &excluded)
            or(excluded.map { ~$0 })
        case let .categories(mask):
            for (i, categoryBits) in UnicodeFlags.categoryBitmaps.enumerated() where mask & (1 << UInt32(i)) != 0 { or(categoryBits) }
        case .whitespace: or(UnicodeFlags.itemBitmaps.whitespace)
        case .word: or(UnicodeFlags.itemBitmaps.word)
        }
    }

    @inline(__always)
    private static func test(_ bits: [UInt64], _ c: UInt32) -> Bool { bits[Int(c >> 6)] & (1 << UInt64(c & 63)) != 0 }

    @inline(__always)
    private static func set(_ bits: inout [UInt64], _ c: UInt32) { bits[Int(c >> 6)] |= 1 << UInt64(c & 63) }

    /// Sets the bits of `a…b` that lie in the BMP.
    private static func setRange(_ a: UInt32, _ b: UInt32, _ bits: inout [UInt64]) {
        guard a <= b, a < 0x10000 else { return }
        let lo = Int(a), hi = Int(min(b, 0xFFFF))
        for w in (lo >> 6)...(hi >> 6) {
            let first = w == lo >> 6 ? lo & 63 : 0, last = w == hi >> 6 ? hi & 63 : 63
            bits[w] |= (~UInt64(0) >> UInt64(63 - (last - first))) << UInt64(first)
        }
    }

    /// Scalars in any of `sets`.
    init(union sets: [CharSet]) {
        bmp = [UInt64](repeating: 0, count: 1024)
        for s in sets { for k in 0..<1024 { bmp[k] |= s.bmp[k] } }
        spec = CharSetSpec(items: sets.map { .nested($0.spec) })
    }

    @inline(__always)
    func contains(_ c: UInt32) -> Bool {
        if c < 0x10000 { return bmp[Int(c >> 6)] & (1 << UInt64(c & 63)) != 0 }
        return spec.contains(c)
    }
}

/// Simple case folding, enough for `(?i:…)`: a scalar matches another when their one-scalar
/// lower- or uppercase forms meet.
enum CaseFolding {
    static func variants(of c: UInt32) -> [UInt32] {
        guard let s = Unicode.Scalar(c) else { return [c] }
        var out = [c]
        for mapping in [s.properties.lowercaseMapping, s.properties.uppercaseMapping, s.properties.titlecaseMapping] {
            let scalars = mapping.unicodeScalars
            if scalars.count == 1, let v = scalars.first?.value, !out.contains(v) { out.append(v) }
        }
        // Both ways round: `K` (Kelvin) lowercases to `k`, so `k` must reach it too.
        for extra in foldOrbits where extra.contains(c) { for v in extra where !out.contains(v) { out.append(v) } }
        return out
    }

    /// Every BMP scalar that has case variants, with those variants (itself left out); built once.
    static let bmpVariants: [(UInt32, [UInt32])] = (0..<0x10000).compactMap { c -> (UInt32, [UInt32])? in
        let others = variants(of: UInt32(c)).filter { $0 != UInt32(c) }
        return others.isEmpty ? nil : (UInt32(c), others)
    }

    /// Scalars whose case mappings do not lead back to each other.
    private static let foldOrbits: [[UInt32]] = [
        [0x4B, 0x6B, 0x212A], [0x53, 0x73, 0x17F], [0xC5, 0xE5, 0x212B], [0x3A9, 0x3C9, 0x2126],
        [0x398, 0x3B8, 0x3D1, 0x3F4], [0x392, 0x3B2, 0x3D0], [0x395, 0x3B5, 0x3F5], [0x39A, 0x3BA, 0x3F0],
        [0x3A0, 0x3C0, 0x3D6], [0x3A1, 0x3C1, 0x3F1], [0x3A3, 0x3C3, 0x3C2], [0x3A6, 0x3C6, 0x3D5],
        [0x399, 0x3B9, 0x345, 0x1FBE], [0x39C, 0x3BC, 0xB5],
    ]
}
