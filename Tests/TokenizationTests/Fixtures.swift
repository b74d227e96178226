import Foundation
import Tokenization

/// Paths and expectations written by scripts/tokenizer_fixtures.py.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    static var corpus: String { path("corpus.txt") }

    struct Expected: Decodable {
        struct PerTokenizer: Decodable {
            let ids: [[Int32]]
            let ids_special: [[Int32]]
            let decoded: [String]
        }
        let cases: [String]
        let tokenizers: [String: PerTokenizer]
    }

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: directory.appendingPathComponent("expected.json")))
    }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(contentsOfFile: path(name + ".json"))
    }

    static func corpusLines() throws -> [String] {
        try String(contentsOfFile: corpus, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}
