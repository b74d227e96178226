import XCTest
import Tokenization

/// Mutated tokenizer.json files load or fail with a TokenizationError; nothing traps, hangs or
/// allocates without bound, and what loads encodes.
final class LoaderFuzzTests: XCTestCase {
    func testMutatedFixturesNeverCrash() throws {
        var rng = RoundTripTests.Rng(state: 11)
        let names = ["bert_uncased", "roberta", "llama3", "llama2", "wordlevel", "splits", "added"]
        let originals = try names.map { try Data(contentsOf: HFFixtures.directory.appendingPathComponent($0 + ".json")) }
        let path = NSTemporaryDirectory() + "/fuzz-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let replacements: [[UInt8]] = ["null", "-1", "1e300", "99999999", "\"\"", "[]", "{}", "\"Foo\"", "true", "0.5", "\"(\"", "16777215"].map { Array($0.utf8) }
        var loaded = 0
        for round in 0..<240 {
            var bytes = [UInt8](originals[round % originals.count])
            for _ in 0..<(1 + rng.below(3)) {
                switch rng.below(4) {
                case 0: bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.removeSubrange(rng.below(bytes.count)...)
                default:
                    // Replace one JSON scalar (the text after a ':' up to ',' or '}') by another value.
                    let colons = bytes.indices.filter { bytes[$0] == UInt8(ascii: ":") }
                    guard let c = colons.isEmpty ? nil : colons[rng.below(colons.count)] else { continue }
                    var end = c + 1
                    while end < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}")].contains(bytes[end]) { end += 1 }
                    bytes.replaceSubrange((c + 1)..<end, with: replacements[rng.below(replacements.count)])
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let tokenizer = try Tokenizer(contentsOfFile: path)
                _ = tokenizer.encode("Hello, wörld! 東京 <s> [CLS] 123", pair: "b", addSpecial: true)
                _ = tokenizer.decode(Array(0..<Int32(min(tokenizer.vocabSize, 300))))
                loaded += 1
            } catch is TokenizationError {
                continue
            }
        }
        XCTAssertGreaterThan(loaded, 0)
    }

    /// Files saved by transformers often carry padding and truncation settings: they load, and
    /// encode as without them (commands pad and cut inputs themselves).
    func testPaddingAndTruncationSettingsAreAccepted() throws {
        let original = try Data(contentsOf: HFFixtures.directory.appendingPathComponent("bert_uncased.json"))
        var text = String(decoding: original, as: UTF8.self)
        text = text.replacingOccurrences(of: #""truncation": null"#, with: #""truncation": {"direction": "Right", "max_length": 8, "strategy": "LongestFirst", "stride": 0}"#)
        text = text.replacingOccurrences(of: #""padding": null"#, with: #""padding": {"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": null, "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}"#)
        XCTAssertTrue(text.contains(#""max_length": 8"#) && text.contains("BatchLongest"))
        let path = NSTemporaryDirectory() + "/padded-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let plain = try Tokenizer(contentsOfFile: HFFixtures.path("bert_uncased.json")), padded = try Tokenizer(contentsOfFile: path)
        let sentence = "A long sentence with more than eight word pieces in it, surely."
        XCTAssertEqual(padded.encode(sentence, addSpecial: true), plain.encode(sentence, addSpecial: true))
        try Data(text.replacingOccurrences(of: #""padding": {"#, with: #""padding": 3, "x": {"#).utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Tokenizer(contentsOfFile: path)) { XCTAssertTrue("\($0)".contains("padding: expected an object or null"), "\($0)") }
    }

    func testErrorsNameTheComponentAndItsPath() throws {
        func load(_ json: String) -> String {
            let path = NSTemporaryDirectory() + "/bad-\(UUID().uuidString).json"
            defer { try? FileManager.default.removeItem(atPath: path) }
            _ = FileManager.default.createFile(atPath: path, contents: Data(json.utf8))
            do { _ = try Tokenizer(contentsOfFile: path); return "loaded" } catch { return "\(error)".replacingOccurrences(of: path + ": ", with: "") }
        }
        let model = #""model": {"type": "WordLevel", "vocab": {"a": 0, "b": 1}, "unk_token": "a"}"#
        XCTAssertEqual(load(#"{\#(model), "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, {"type": "Digits"}, {"type": "Foo"}]}}"#),
                       #"pre_tokenizer.pretokenizers[2]: unsupported pre-tokenizer type "Foo""#)
        XCTAssertEqual(load(#"{\#(model), "normalizer": {"type": "Bar"}}"#), #"normalizer: unsupported normalizer type "Bar""#)
        XCTAssertEqual(load(#"{\#(model), "decoder": {"type": "Sequence", "decoders": [{"type": "Baz"}]}}"#), #"decoder.decoders[0]: unsupported decoder type "Baz""#)
        XCTAssertEqual(load(#"{\#(model), "post_processor": {"type": "Qux"}}"#), #"post_processor: unsupported post-processor type "Qux""#)
        XCTAssertEqual(load(#"{"model": {"type": "Chars", "vocab": []}}"#), #"model: unsupported model type "Chars" (supported: BPE, WordPiece, WordLevel, Unigram)"#)
        XCTAssertTrue(load(#"{\#(model), "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated", "invert": false}}"#)
            .hasPrefix("invalid tokenizer: pre_tokenizer.pattern: regex \"(a\""))
        XCTAssertEqual(load(#"{"model": {"type": "WordLevel", "vocab": {"a": 0, "b": 0}}}"#), #"invalid tokenizer: model: vocab gives id 0 to both "a" and "b""#)
        XCTAssertEqual(load(#"{"model": {"type": "WordLevel", "vocab": {"a": 0, "a": 1}}}"#), #"invalid tokenizer: model: vocab lists "a" twice"#)
        XCTAssertEqual(load(#"{"model": {"type": "WordLevel", "vocab": {"a": 9000000}}}"#), #"invalid tokenizer: model: vocab ids reach 9000000 for only 1 tokens"#)
        XCTAssertEqual(load(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}"#),
                       #"invalid tokenizer: model: a merge uses "b", which is not in the vocabulary"#)
        XCTAssertEqual(load(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "dropout": 0.1}}"#),
                       #"BPE dropout 0.1 (only null or 0: encoding is deterministic)"#)
        XCTAssertEqual(load(#"{\#(model), "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 5], "cls": ["[CLS]", 0]}}"#),
                       #"invalid tokenizer: post_processor: id 5 is outside the vocabulary (size 2)"#)
        XCTAssertEqual(load(#"{\#(model), "added_tokens": [{"id": 1, "content": "a"}]}"#),
                       #"invalid tokenizer: added_tokens[0] "a" has id 1 but the model gives it 0"#)
    }
}
