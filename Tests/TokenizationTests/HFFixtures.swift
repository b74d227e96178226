import Foundation
import Tokenization

/// The fixtures scripts/hf_tokenizer_fixtures.py writes: what `tokenizers` 0.23 does.
enum HFFixtures {
    static let directory = Fixtures.directory.appendingPathComponent("hf")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw CocoaError(.coderReadCorrupt) }
        return object
    }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(contentsOfFile: path(name + ".json"))
    }

    /// A tokenizer.json document (as decoded by JSONSerialization) loaded through a temporary file.
    static func tokenizer(document: Any) throws -> Tokenizer {
        let file = NSTemporaryDirectory() + "/hf-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: file))
        return try Tokenizer(contentsOfFile: file)
    }

    static func ints(_ value: Any?) -> [[Int32]] {
        ((value as? [[NSNumber]]) ?? []).map { $0.map { $0.int32Value } }
    }
}
