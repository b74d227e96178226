import XCTest
import Tokenization

/// Each normalizer, pre-tokenizer and decoder alone against `tokenizers`' `normalize_str`,
/// `pre_tokenize_str` and `decode`.
final class HFComponentTests: XCTestCase {
    func testComponentsMatchTokenizers() throws {
        let fixture = try HFFixtures.json("components.json")
        let cases = fixture["cases"] as? [String] ?? []
        let tokenLists = fixture["token_lists"] as? [[String]] ?? []
        let components = fixture["components"] as? [[String: Any]] ?? []
        XCTAssertGreaterThan(components.count, 50)
        for component in components {
            let kind = component["kind"] as? String ?? ""
            let document = component["tokenizer"] as? [String: Any] ?? [:]
            let label = "\(kind) \(String(describing: document[kind] ?? "?"))"
            switch kind {
            case "normalizer":
                let tokenizer = try HFFixtures.tokenizer(document: document)
                for (text, want) in zip(cases, component["outputs"] as? [String] ?? []) {
                    XCTAssertEqual(Array(tokenizer.normalize(text).utf8), Array(want.utf8), "\(label) on \(text.debugDescription)")
                }
            case "pre_tokenizer":
                let tokenizer = try HFFixtures.tokenizer(document: document)
                for (text, want) in zip(cases, component["outputs"] as? [[String]] ?? []) {
                    XCTAssertEqual(tokenizer.preTokenize(text).map { Array($0.utf8) }, want.map { Array($0.utf8) }, "\(label) on \(text.debugDescription)")
                }
            default:
                for (tokens, want) in zip(tokenLists, component["outputs"] as? [Any] ?? []) {
                    guard let want = want as? String else { continue }
                    // A WordLevel vocabulary of exactly these tokens, so ids decode to them.
                    var doc = document
                    var vocab: [String: Int] = ["[UNK]": 0]
                    for t in tokens where vocab[t] == nil { vocab[t] = vocab.count }
                    doc["model"] = ["type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"]
                    let tokenizer = try HFFixtures.tokenizer(document: doc)
                    let ids = tokens.map { Int32(vocab[$0]!) }
                    XCTAssertEqual(Array(tokenizer.decode(ids, skipSpecial: false).utf8), Array(want.utf8), "\(label) on \(tokens)")
                }
            }
        }
    }
}
