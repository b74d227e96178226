// JSONText's value type, its accessors and its writer, shared by Tokenization (tokenizer.json)
// and Checkpoints (safetensors headers).
// Hand-written rather than Foundation's JSONSerialization because both callers need what it
// drops: objects keep their members in file order with duplicates and exact key bytes (a
// vocabulary may hold canonically equivalent keys; a header may repeat a tensor name), and
// numbers keep their exact text (so 2.0, -1 and 1e30 can be told apart from integers).

/// A JSON value as written in the document.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's text exactly as written, e.g. "2", "2.0" or "-1e30".
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document order, duplicate keys included.
    case object([(key: String, value: JSONValue)])

    /// A number holding `n` written in decimal.
    public static func integer(_ n: some BinaryInteger) -> JSONValue { .number(String(n)) }

    /// Equal when written alike: strings and keys by their UTF-8 bytes (not by canonical
    /// equivalence, as `String` compares), numbers by their text, members in order.
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x.utf8.elementsEqual(y.utf8)
        case let (.string(x), .string(y)): return x.utf8.elementsEqual(y.utf8)
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count
                && zip(x, y).allSatisfy { $0.key.utf8.elementsEqual($1.key.utf8) && $0.value == $1.value }
        default: return false
        }
    }
}

extension JSONValue {
    /// The value of the first member named `key` (compared as `String`s), if this is an object.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    public var string: String? { if case let .string(s) = self { return s }; return nil }
    public var bool: Bool? { if case let .bool(b) = self { return b }; return nil }
    public var array: [JSONValue]? { if case let .array(a) = self { return a }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }

    /// The number as the nearest `Double` (±infinity past its range).
    public var double: Double? { if case let .number(text) = self { return Double(text) }; return nil }

    /// "an object", "a number", …: for messages saying what was found instead.
    public var kindName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

/// A non-negative integer read from a JSON number, or why it is not one.
public enum JSONInteger: Equatable, Sendable {
    case value(UInt64)
    case negative
    /// Has a fraction or an exponent, even if its value is integral ("2.0", "1e2").
    case notInteger
    case tooLarge
}

extension JSONValue {
    /// Reads a number as a non-negative integer from its digits, with no floating-point step,
    /// so every UInt64 is exact; nil if this is not a number.
    public var nonNegativeInteger: JSONInteger? {
        guard case .number(let text) = self else { return nil }
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        guard digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return .notInteger
        }
        var result: UInt64 = 0
        for d in digits.utf8 {
            let (m, o1) = result.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d - UInt8(ascii: "0")))
            if o1 || o2 { return negative ? .negative : .tooLarge }
            result = s
        }
        if negative && result != 0 { return .negative }
        return .value(result)
    }
}

// MARK: writing

extension JSONValue {
    /// Appends the value compactly (no spaces), members in their stored order.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += "null".utf8
        case let .bool(b): out += (b ? "true" : "false").utf8
        case let .number(text): out += text.utf8
        case let .string(s): JSONValue.appendQuoted(s, to: &out)
        case let .array(items):
            out.append(UInt8(ascii: "["))
            for (n, item) in items.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            for (n, member) in members.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.appendQuoted(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Pretty-prints with two-space indents; arrays of scalars stay on one line.
    public func writePretty(to out: inout [UInt8], indent: Int = 0) {
        func newline(_ level: Int) { out.append(0x0A); out += [UInt8](repeating: 0x20, count: 2 * level) }
        switch self {
        case let .array(items) where items.contains(where: { if case .array = $0 { return true }; if case .object = $0 { return true }; return false }):
            out.append(UInt8(ascii: "["))
            for (n, item) in items.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                item.writePretty(to: &out, indent: indent + 1)
            }
            newline(indent)
            out.append(UInt8(ascii: "]"))
        case let .object(members) where !members.isEmpty:
            out.append(UInt8(ascii: "{"))
            for (n, member) in members.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                JSONValue.appendQuoted(member.key, to: &out)
                out += [UInt8(ascii: ":"), 0x20]
                member.value.writePretty(to: &out, indent: indent + 1)
            }
            newline(indent)
            out.append(UInt8(ascii: "}"))
        default:
            write(to: &out)
        }
    }

    /// Appends `s` as a JSON string literal escaped as serde_json escapes it (so files match
    /// those Hugging Face's Rust libraries write, byte for byte): quote, backslash and control
    /// characters only; everything else, non-ASCII included, stays as its UTF-8.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        let backslash = UInt8(ascii: "\\")
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), backslash: out += [backslash, b]
            case 0x08: out += [backslash, UInt8(ascii: "b")]
            case 0x0C: out += [backslash, UInt8(ascii: "f")]
            case 0x0A: out += [backslash, UInt8(ascii: "n")]
            case 0x0D: out += [backslash, UInt8(ascii: "r")]
            case 0x09: out += [backslash, UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += "\\u00".utf8
                out += [hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
