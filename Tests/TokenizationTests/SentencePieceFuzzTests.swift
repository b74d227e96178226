import Foundation
import XCTest
import Tokenization

/// Thousands of deterministic byte mutations of fixture `.model` files: each loads or is refused
/// with an error naming the file; what loads encodes and decodes without trapping.
final class SentencePieceFuzzTests: XCTestCase {
    static let texts = ["", " ", "Zwei Männer <sep> im Freien.", "東京😀👍🏽\u{0}\t x", "ﬁne ＡＢＣ e\u{301}", String(repeating: "ab ", count: 50)]

    func mutate(_ file: String, count: Int, seed: UInt64, region: ((Int) -> Range<Int>)? = nil) throws -> (loaded: Int, refused: Int) {
        let original = Array(try Data(contentsOf: SentencePieceParityTests.directory.appendingPathComponent(file)))
        let name = "mutated-\(file)"
        var rng = RoundTripTests.Rng(state: seed)
        var loaded = 0, refused = 0
        for _ in 0..<count {
            var bytes = original
            let region = region?(bytes.count) ?? 0..<bytes.count
            for _ in 0..<1 + rng.below(4) {
                let range = region.clamped(to: 0..<bytes.count)  // earlier mutations may have cut the file
                guard !range.isEmpty else { break }
                let k = range.lowerBound + rng.below(range.count)
                switch rng.below(6) {
                case 0: bytes[k] ^= UInt8(1 << rng.below(8))
                case 1: bytes[k] = UInt8(rng.below(256))
                case 2: bytes[k] = [0x00, 0x7F, 0x80, 0xFF][rng.below(4)]
                case 3: bytes.removeSubrange(k..<min(bytes.count, k + 1 + rng.below(8)))
                case 4: bytes.insert(contentsOf: (0..<1 + rng.below(4)).map { _ in UInt8(rng.below(256)) }, at: k)
                default: bytes.removeSubrange(k...)
                }
            }
            do {
                let tokenizer = try Tokenizer(sentencePieceModel: bytes, name: name)
                loaded += 1
                for text in Self.texts {
                    let ids = tokenizer.encode(text, addSpecial: true)
                    XCTAssertTrue(ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabSize })
                    _ = tokenizer.decode(ids)
                }
                _ = tokenizer.decode((0..<20).map { _ in Int32(rng.below(tokenizer.vocabSize + 3)) - 1 })
            } catch {
                refused += 1
                XCTAssertTrue("\(error)".contains(name), "\(error)")
            }
        }
        return (loaded, refused)
    }

    func testMutatedModelsNeverTrap() throws {
        for (file, seed) in [("unigram_bytes.model", UInt64(1)), ("bpe_bytes.model", 2), ("char_identity.model", 3),
                             ("word_identity.model", 4), ("unigram_denorm.model", 5)] {
            let (loaded, refused) = try mutate(file, count: 2000, seed: seed)
            XCTAssertEqual(loaded + refused, 2000)
            XCTAssertGreaterThan(refused, 0, file)
        }
    }

    /// Mutations inside the charsmap (the last 240 kB of the file) exercise its validation.
    func testMutatedCharsmapsNeverTrap() throws {
        let (loaded, refused) = try mutate("unigram_nmt.model", count: 300, seed: 9) { n in (n - 200_000)..<n }
        XCTAssertEqual(loaded + refused, 300)
    }
}
