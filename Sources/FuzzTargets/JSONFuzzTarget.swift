// The JSON reader (JSONText) that every JSON file here goes through: arbitrary bytes parse or
// throw JSONParseError; what parses writes back as text that parses to the same value.
import JSONText

extension FuzzTargets {
    static func json(_ bytes: [UInt8]) throws {
        guard let value = try? JSONValue.parse(bytes) else { return }
        var text: [UInt8] = []
        value.write(to: &text)
        try require((try? JSONValue.parse(text)) == value, "JSON written back does not read back the same")
    }
}
