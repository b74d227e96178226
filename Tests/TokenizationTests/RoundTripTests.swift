import XCTest
import Tokenization

/// decode(encode(s)) == s, byte for byte, for any valid UTF-8 string.
final class RoundTripTests: XCTestCase {
    /// SplitMix64: the same strings on every run and platform.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// Scalar ranges to draw from: ASCII, whitespace and controls, Latin, combining marks,
    /// CJK, Hangul, emoji and their joiners, right-to-left scripts, specials and the astral planes.
    static let pools: [ClosedRange<UInt32>] = [
        0x20...0x7E, 0x20...0x20, 0x00...0x1F, 0x7F...0x9F, 0xA0...0xFF, 0x100...0x24F, 0x300...0x36F,
        0x4E00...0x9FFF, 0x3040...0x30FF, 0xAC00...0xD7A3, 0x1F300...0x1FAFF, 0x200B...0x200D, 0xFE00...0xFE0F,
        0x590...0x6FF, 0x2000...0x206F, 0x2581...0x2581, 0x120...0x120, 0xE000...0xF8FF, 0xFFF0...0xFFFF,
        0x10000...0x10FFFF, 0x3000...0x303F,
    ]

    static func randomString(_ rng: inout Rng, maxLength: Int) -> String {
        var s = String.UnicodeScalarView()
        let pool = pools[rng.below(pools.count)]
        for _ in 0..<rng.below(maxLength + 1) {
            // Mostly one pool per string (like real text), sometimes any.
            let range = rng.below(4) == 0 ? pools[rng.below(pools.count)] : pool
            let v = range.lowerBound + UInt32(rng.below(Int(range.upperBound - range.lowerBound) + 1))
            if let scalar = Unicode.Scalar(v) { s.append(scalar) }  // skips surrogates
        }
        return String(s)
    }

    func assertRoundTrips(_ tokenizer: Tokenizer, _ texts: [String], _ label: String) {
        let batch = tokenizer.encodeBatch(texts)
        for (text, ids) in zip(texts, batch) {
            XCTAssertEqual(Array(tokenizer.decode(ids).utf8), Array(text.utf8), "\(label): \(text.debugDescription)")
        }
    }

    func testRandomUnicodeRoundTrips() throws {
        var rng = Rng(state: 42)
        var texts = (0..<1500).map { _ in RoundTripTests.randomString(&rng, maxLength: 40) }
        texts += ["", " ", "\u{0}", "▁", " ▁ ", "Ġ", "\r\n", "e\u{301}\u{302}\u{303}", "👨‍👩‍👧‍👦", "\u{FEFF}x"]
        for name in ["ours_metaspace", "hf_gpt2"] {  // hf_splits removes "-" by design
            assertRoundTrips(try Fixtures.tokenizer(name), texts, name)
        }
    }

    func testVeryLongLinesRoundTrip() throws {
        var rng = Rng(state: 7)
        let long = (0..<200).map { _ in RoundTripTests.randomString(&rng, maxLength: 500) }.joined(separator: " ")
        let texts = [long, String(repeating: "a", count: 100_000), String(repeating: " ", count: 5000),
                     String(repeating: "日本語", count: 10_000)]
        for name in ["ours_metaspace", "ours_gpt2_nfkc"] {
            let tokenizer = try Fixtures.tokenizer(name)
            for text in texts {
                let decoded = tokenizer.decode(tokenizer.encode(text))
                let want = name.hasSuffix("nfkc") ? text.precomposedStringWithCompatibilityMapping : text
                XCTAssertEqual(Array(decoded.utf8), Array(want.utf8), "\(name): \(text.prefix(20))…")
            }
        }
    }

    func testGPT2ModeWithoutNormalizationRoundTrips() throws {
        let tokenizer = try Tokenizer.train(files: [Fixtures.corpus], vocabSize: 400,
                                            options: TrainingOptions(preTokenization: .gpt2))
        var rng = Rng(state: 3)
        assertRoundTrips(tokenizer, (0..<500).map { _ in RoundTripTests.randomString(&rng, maxLength: 30) }, "gpt2")
    }

    func testSpecialTokensAreSkippedOrKept() throws {
        let tokenizer = try Fixtures.tokenizer("ours_metaspace")
        let ids = tokenizer.encode("Zwei Männer", addSpecial: true)
        XCTAssertEqual(ids.first, 1)
        XCTAssertEqual(ids.last, 2)
        XCTAssertEqual(tokenizer.decode(ids), "Zwei Männer")
        XCTAssertEqual(tokenizer.decode(ids, skipSpecial: false), "<bos> Zwei Männer<eos>")
        // As in tokenizers, a special token written in the text is that token…
        XCTAssertEqual(tokenizer.encode("a<eos>b").filter { $0 == 2 }.count, 1)
        // …unless special tokens are to be encoded as text.
        var asText = tokenizer
        asText.encodeSpecialTokens = true
        XCTAssertFalse(asText.encode("<eos>").contains(2))
        XCTAssertEqual(asText.decode(asText.encode("a<eos>b")), "a<eos>b")
        XCTAssertEqual(tokenizer.decode([-1, 99_999]), "")
    }
}
