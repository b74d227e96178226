// JSONText's own tests: the parser's grammar, nesting bound, duplicates, exact numbers,
// escapes, UTF-8 checks and error positions, and the writer's escaping and round trip.
import JSONText
import XCTest

final class JSONTextTests: XCTestCase {
    private func parse(_ text: String, maxDepth: Int = 512) throws -> JSONValue {
        try JSONValue.parse(Array(text.utf8), maxDepth: maxDepth)
    }

    /// The error parsing `bytes` gives; fails the test if it parses.
    private func failure(_ bytes: [UInt8], maxDepth: Int = 512, file: StaticString = #filePath, line: UInt = #line) -> JSONParseError? {
        do throws(JSONParseError) {
            let value = try JSONValue.parse(bytes, maxDepth: maxDepth)
            XCTFail("parsed as \(value)", file: file, line: line)
        } catch {
            return error
        }
        return nil
    }

    private func failure(_ text: String, maxDepth: Int = 512, file: StaticString = #filePath, line: UInt = #line) -> JSONParseError? {
        failure(Array(text.utf8), maxDepth: maxDepth, file: file, line: line)
    }

    func testValuesAndWhitespace() throws {
        let value = try parse(" \n{\"a\": [true, false, null, \"s\", -1.5e3, {}], \"b\": []}\r\n\t")
        XCTAssertEqual(value, .object([
            ("a", .array([.bool(true), .bool(false), .null, .string("s"), .number("-1.5e3"), .object([])])),
            ("b", .array([])),
        ]))
        XCTAssertEqual(value["a"]?.array?.count, 6)
        XCTAssertNil(value["c"])
        XCTAssertEqual(try parse("7"), .number("7"))
        XCTAssertEqual(try parse("\"x\""), .string("x"))
    }

    func testDuplicateKeysKeptInOrder() throws {
        let value = try parse(#"{"k": 1, "j": 2, "k": 3}"#)
        guard case let .object(members) = value else { return XCTFail("\(value)") }
        XCTAssertEqual(members.map { $0.key }, ["k", "j", "k"])
        XCTAssertEqual(members.map { $0.value }, [.number("1"), .number("2"), .number("3")])
        XCTAssertEqual(value["k"], .number("1"), "the subscript finds the first")
    }

    func testKeysKeepTheirExactBytes() throws {
        // "é" precomposed and decomposed: equal as Strings, distinct as JSON keys.
        let value = try parse("{\"\u{E9}\": 1, \"e\u{301}\": 2}")
        guard case let .object(members) = value else { return XCTFail("\(value)") }
        XCTAssertEqual(members.map { Array($0.key.utf8) }, [[0xC3, 0xA9], [0x65, 0xCC, 0x81]])
        XCTAssertNotEqual(JSONValue.string("\u{E9}"), .string("e\u{301}"))
    }

    func testNumbersKeepTheirText() throws {
        for text in ["0", "-0", "2", "2.0", "1e30", "1E+2", "-1e-2", "0.5", "18446744073709551616"] {
            XCTAssertEqual(try parse(text), .number(text))
        }
        XCTAssertEqual(try parse("2.50").double, 2.5)
        XCTAssertEqual(try parse("1e400").double, .infinity)
        XCTAssertNil(JSONValue.string("1").double)
        for bad in ["01", "+1", "1.", ".5", "-", "1e", "1e+", "0x10", "Infinity", "NaN", "--1"] {
            XCTAssertNotNil(failure(bad), bad)
        }
    }

    func testNonNegativeIntegersAreExact() throws {
        let cases: [(String, JSONInteger)] = [
            ("0", .value(0)), ("-0", .value(0)), ("42", .value(42)),
            ("18446744073709551615", .value(.max)), ("18446744073709551616", .tooLarge),
            ("9007199254740993", .value(9_007_199_254_740_993)),  // not a Double
            ("-1", .negative), ("-99999999999999999999", .negative),
            ("2.0", .notInteger), ("1e2", .notInteger), ("-1.5", .notInteger),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try parse(text).nonNegativeInteger, expected, text)
        }
        XCTAssertNil(JSONValue.string("1").nonNegativeInteger)
        XCTAssertEqual(JSONValue.integer(-12), .number("-12"))
        XCTAssertEqual(JSONValue.integer(UInt64.max).nonNegativeInteger, .value(.max))
    }

    func testEscapes() throws {
        XCTAssertEqual(try parse(#""\"\\\/\b\f\n\r\t""#), .string("\"\\/\u{8}\u{C}\n\r\t"))
        XCTAssertEqual(try parse(#""\u0041\u00e9\u4E2D""#), .string("Aé中"))
        XCTAssertEqual(try parse(#""a\u0000b""#).string?.utf8.count, 3)
        // A surrogate pair makes one scalar beyond the BMP.
        XCTAssertEqual(try parse(#""\ud83d\ude80!""#), .string("🚀!"))
        XCTAssertEqual(try parse(#""\uD834\uDD1E""#), .string("\u{1D11E}"))
        for bad in [#""\ud83d""#, #""\ud83dx""#, #""\ud83d\u0041""#, #""\ude80""#, #""\ud83d\n""#] {
            XCTAssertEqual(failure(bad)?.reason, "unpaired surrogate", bad)
        }
        XCTAssertEqual(failure(#""\x""#)?.reason, "invalid escape")
        XCTAssertEqual(failure(#""\u12g4""#)?.reason, "invalid hex digit in \\u escape")
        XCTAssertEqual(failure(#""\u+041""#)?.reason, "invalid hex digit in \\u escape")
        XCTAssertEqual(failure(#""\u12"#)?.reason, "truncated \\u escape")
        XCTAssertEqual(failure("\"a\tb\"")?.reason, "control character in string")
    }

    func testInvalidUTF8InStrings() throws {
        let valid: [[UInt8]] = [[0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x9A, 0x80], [0xF4, 0x8F, 0xBF, 0xBF]]
        for bytes in valid {
            XCTAssertEqual(try JSONValue.parse([0x22] + bytes + [0x22]).string.map { Array($0.utf8) }, bytes)
        }
        let invalid: [[UInt8]] = [
            [0xFF], [0xC3], [0xC3, 0x28], [0xC0, 0xAF],  // stray, truncated, bad continuation, overlong
            [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80],  // overlong, encoded surrogate
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],  // above U+10FFFF
        ]
        for bytes in invalid {
            let error = failure(Array(#"["ok", "a"#.utf8) + bytes + Array(#"b"]"#.utf8))
            XCTAssertEqual(error?.reason, "string is not valid UTF-8", "\(bytes)")
            XCTAssertEqual(error?.offset, 9, "the first bad byte, \(bytes)")
        }
        // Outside strings, a non-ASCII byte is just not JSON.
        XCTAssertEqual(failure([0x5B, 0xC3, 0xA9, 0x5D])?.reason, "unexpected character")
    }

    func testNestingBound() throws {
        // A value may sit inside maxDepth - 1 containers.
        XCTAssertNoThrow(try parse(String(repeating: "[", count: 3) + "1" + String(repeating: "]", count: 3), maxDepth: 4))
        XCTAssertNoThrow(try parse(String(repeating: "[", count: 4) + String(repeating: "]", count: 4), maxDepth: 4))
        let deep = failure(String(repeating: "[", count: 4) + "1" + String(repeating: "]", count: 4), maxDepth: 4)
        XCTAssertEqual(deep?.reason, "nesting deeper than 4 levels")
        XCTAssertEqual(deep?.offset, 4)
        XCTAssertEqual(failure(#"{"a":{"b":{"c":{}}}}"#, maxDepth: 3)?.offset, 15)
        // Far past the bound fails cleanly instead of overflowing the stack.
        XCTAssertEqual(failure(String(repeating: "[", count: 100_000))?.reason, "nesting deeper than 512 levels")
        XCTAssertEqual(failure(String(repeating: "{\"a\":", count: 100_000))?.reason, "nesting deeper than 512 levels")
    }

    func testErrorPositions() throws {
        let cases: [(String, Int, Int, String)] = [
            ("", 0, 1, "unexpected end of input"),
            ("  ", 2, 1, "unexpected end of input"),
            ("{\"a\": 1,}", 8, 1, "expected a string key"),
            ("{\"a\" 1}", 5, 1, "expected ':'"),
            ("[1 2]", 3, 1, "expected ']'"),
            ("{\"a\": 1 \"b\"}", 8, 1, "expected '}'"),
            ("[tru]", 1, 1, "invalid literal"),
            ("{} x", 3, 1, "unexpected data after the top-level value"),
            ("{\n\"model\": {\"type\": \"BPE\",\n \"vocab\": [}\n}", 38, 3, "unexpected character"),
            ("[\n\n\"abc", 7, 3, "unterminated string"),
            ("[1,\r\n  -]", 8, 2, "expected a digit"),
        ]
        for (text, offset, line, reason) in cases {
            let error = failure(text)
            XCTAssertEqual(error.map { [$0.offset, $0.line] }, [offset, line], text.debugDescription)
            XCTAssertEqual(error?.reason, reason, text.debugDescription)
        }
    }

    func testAccessorsAndKinds() throws {
        let value = try parse(#"{"s": "x", "b": true, "n": null, "a": [1]}"#)
        XCTAssertEqual(value["s"]?.string, "x")
        XCTAssertEqual(value["b"]?.bool, true)
        XCTAssertEqual(value["n"]?.isNull, true)
        XCTAssertEqual(value["a"]?.array, [.number("1")])
        XCTAssertNil(value["s"]?.bool)
        XCTAssertNil(value["a"]?["s"])
        XCTAssertEqual([value, value["a"]!, value["s"]!, .number("1"), .bool(false), .null].map(\.kindName),
                       ["an object", "an array", "a string", "a number", "a boolean", "null"])
    }

    func testQuotingEscapesAsSerdeJSON() {
        var out: [UInt8] = []
        JSONValue.appendQuoted("q\"b\\s/\u{8}\u{C}\n\r\t\u{0}\u{1F}\u{7F}é🚀", to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), #""q\"b\\s/\b\f\n\r\t\u0000\u001f"# + "\u{7F}é🚀\"")
    }

    func testWriteIsCompactAndRoundTrips() throws {
        let text = #"{"k":[1,-2.50,1e30,true,false,null,"a\"b\u0001"],"k":{},"e":[],"\u00e9":"\ud83d\ude80"}"#
        var out: [UInt8] = []
        try parse(text).write(to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self),
                       #"{"k":[1,-2.50,1e30,true,false,null,"a\"b\u0001"],"k":{},"e":[],"é":"🚀"}"#)
        XCTAssertEqual(try JSONValue.parse(out), try parse(text))
    }
}
