/// Byte-level UTF-8 helpers: the tokenizer works on UTF-8 bytes, not on `String`,
/// because `String` compares by canonical equivalence and its views are slower.
enum UTF8Scalars {
    /// Decodes the scalar starting at `i` of valid UTF-8; returns its value and byte length.
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int) {
        let b0 = UInt32(bytes[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F), 3)
        }
        return ((b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
                | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F), 4)
    }

    /// Byte length of the scalar whose first byte is `b0` (valid UTF-8 assumed).
    @inline(__always)
    static func length(firstByte b0: UInt8) -> Int {
        b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4
    }

    /// Appends the UTF-8 encoding of scalar value `c` (a valid scalar) to `out`.
    @inline(__always)
    static func append(_ c: UInt32, to out: inout [UInt8]) {
        if c < 0x80 {
            out.append(UInt8(c))
        } else if c < 0x800 {
            out.append(UInt8(0xC0 | c >> 6)); out.append(UInt8(0x80 | c & 0x3F))
        } else if c < 0x10000 {
            out.append(UInt8(0xE0 | c >> 12)); out.append(UInt8(0x80 | c >> 6 & 0x3F)); out.append(UInt8(0x80 | c & 0x3F))
        } else {
            out.append(UInt8(0xF0 | c >> 18)); out.append(UInt8(0x80 | c >> 12 & 0x3F))
            out.append(UInt8(0x80 | c >> 6 & 0x3F)); out.append(UInt8(0x80 | c & 0x3F))
        }
    }

    /// Calls `body(scalar, byteLength)` for each scalar of valid UTF-8.
    static func forEach(_ bytes: ArraySlice<UInt8>, _ body: (UInt32, Int) -> Void) {
        bytes.withUnsafeBufferPointer { buf in
            var i = 0
            while i < buf.count {
                let (s, n) = decode(buf, at: i)
                body(s, n)
                i += n
            }
        }
    }
}

/// Character classes the pre-tokenizers split on, with an ASCII fast path.
enum CharClass {
    private static let asciiFlags: [UInt8] = (0..<128).map { v -> UInt8 in
        let s = Unicode.Scalar(UInt8(v))
        return flags(of: s)
    }
    static let whitespace: UInt8 = 1, letter: UInt8 = 2, number: UInt8 = 4
    /// Punctuation as Hugging Face's Punctuation pre-tokenizer sees it (ASCII punctuation and symbols, or Unicode P*).
    static let punctuation: UInt8 = 8
    /// Unicode's `\w` (UTS #18, as Rust's regex crate has it): alphabetic, marks, decimal digits,
    /// connector punctuation, joiners.
    static let word: UInt8 = 16

    private static func flags(of s: Unicode.Scalar) -> UInt8 {
        let p = s.properties
        var f: UInt8 = 0
        if p.isWhitespace { f |= whitespace }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: f |= letter
        case .decimalNumber, .letterNumber, .otherNumber: f |= number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            f |= punctuation
        default: break
        }
        if UnicodeFlags.of(s.value) & UnicodeFlags.wordBit != 0 { f |= word }
        if s.isASCII, (0x21...0x2F).contains(s.value) || (0x3A...0x40).contains(s.value)
            || (0x5B...0x60).contains(s.value) || (0x7B...0x7E).contains(s.value) {
            f |= punctuation
        }
        return f
    }

    @inline(__always)
    static func of(_ scalar: UInt32) -> UInt8 {
        if scalar < 128 { return asciiFlags[Int(scalar)] }
        guard let s = Unicode.Scalar(scalar) else { return 0 }
        return flags(of: s)
    }
}
