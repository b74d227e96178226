import XCTest
import Tokenization

/// The regex engine against Oniguruma (through `tokenizers`' Split) on real-world patterns.
final class RegexTests: XCTestCase {
    func testRealWorldPatternsMatchOniguruma() throws {
        let fixture = try HFFixtures.json("regex.json")
        let patterns = fixture["patterns"] as? [String] ?? []
        let strings = fixture["strings"] as? [String] ?? []
        let matches = fixture["matches"] as? [[[String]]] ?? []
        XCTAssertGreaterThan(patterns.count, 50)
        for (pattern, want) in zip(patterns, matches) {
            let regex = try TokenRegex(pattern)
            for (text, expected) in zip(strings, want) {
                let bytes = Array(text.utf8)
                // tokenizers shows the non-empty matches.
                let got = regex.matches(in: text).filter { !$0.isEmpty }.map { String(decoding: bytes[$0], as: UTF8.self) }
                XCTAssertEqual(got.map { Array($0.utf8) }, expected.map { Array($0.utf8) }, "/\(pattern)/ on \(text.debugDescription)")
            }
        }
    }

    func testEmptyMatchesAdvanceLikeFindIter() throws {
        // As the onig crate's find_iter: an empty match right after a match is skipped.
        XCTAssertEqual(try TokenRegex("a*").matches(in: "baa"), [0..<0, 1..<3])
        XCTAssertEqual(try TokenRegex("(?=a)").matches(in: "bab"), [1..<1])
        XCTAssertEqual(try TokenRegex("").matches(in: "ab"), [0..<0, 1..<1, 2..<2])
        XCTAssertEqual(try TokenRegex("x").matches(in: ""), [])
    }

    func testPathologicalPatternsFinish() throws {
        // Exponential for a plain backtracker; the memo keeps each to program size × text length.
        let input = String(repeating: "a", count: 5000)
        for pattern in ["(a+)+b", "(a|a)*b", "(a|aa)+$b", "(?:a*)*b", "((a?){20}a{20})+b", "(?=(a+)+b)a", "(?>(a+)+)b"] {
            XCTAssertEqual(try TokenRegex(pattern).matches(in: input), [], pattern)
        }
        XCTAssertEqual(try TokenRegex("(a*)*").matches(in: input), [0..<5000])
        XCTAssertEqual(try TokenRegex("(a+)+b").matches(in: input + "b"), [0..<5001])
    }

    func testManyClassesCompileAndMatchAsOne() throws {
        // Each class is built from its items' bitmaps, so a pattern with thousands of classes
        // (a fuzzed tokenizer.json's Split) compiles at once, and matches as the single class does.
        let text = "aBc K k \u{212A} 3 \u{663} _ é Σ σ ς 東 \t\n x😀 Ǆ ǅ ǆ"
        for item in ["[a-c]", "[^\\s\\d]", "(?i:[k])", "(?i:[^a-z])", "[\\p{Lu}\\p{Nd}_]", "[^\\W]", ".", "[\\h]", "(?i:[σ])", "[[^a][b]]"] {
            let single = try TokenRegex(item).matches(in: text)
            let many = try TokenRegex("(?:" + Array(repeating: item, count: 1000).joined(separator: "|") + ")").matches(in: text)
            XCTAssertEqual(many, single, item)
        }
    }

    func testBadPatternsAreClearErrors() {
        for (pattern, reason) in [("(ab", "missing \")\""), ("ab)", "unbalanced"), ("[a-", "unterminated"), ("[z-a]", "backwards"),
                                  ("a{3,1}", "backwards"), ("*a", "nothing to repeat"), ("\\p{Nope}", "unknown property"),
                                  ("(a)\\1", "backreferences"), ("(?<=a+)b", "fixed length"), ("a{1000000}", "above"),
                                  ("[[:nope:]]", "unknown class"), ("\\q", "unknown escape"), ("\\", "trailing backslash"),
                                  (String(repeating: "(", count: 300), "deeper")] {
            XCTAssertThrowsError(try TokenRegex(pattern), pattern) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(pattern): \(error)")
            }
        }
        XCTAssertThrowsError(try TokenRegex("(?:ab){1000}{200}")) { XCTAssertTrue("\($0)".contains("instructions"), "\($0)") }
    }
}
