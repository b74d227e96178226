// Model directories in our own layout: save, load, same outputs; bad directories give clear errors.
import Checkpoints
import Foundation
import Models
import XCTest

final class ModelDirectoryTests: XCTestCase {
    func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("model-dir-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func config(_ family: ModelFamily) -> TransformerConfig {
        var c = TransformerConfig()
        c.family = family
        c.dModel = 16; c.heads = 4; c.kvHeads = 2; c.attention = .gqa; c.ff = 20
        c.encoderLayers = 1; c.decoderLayers = 2; c.srcVocab = 23; c.tgtVocab = 23
        c.shareEmbeddings = family == .encoderDecoder; c.positional = .rope; c.maxLen = 16
        return c
    }

    func testSaveAndLoadGiveTheSameLogits() throws {
        let ids = Tensor(ints: [1, 4, 5, 6, 2, 0, 1, 7, 8, 2, 0, 0], shape: [2, 6])
        for family in ModelFamily.allCases {
            let c = config(family)
            let original = try AnyTransformerModel(config: c, seed: 9)
            original.module.train(false)
            let dir = temporaryDirectory()
            try ModelDirectory.save(original.module, config: c, to: dir)
            let loaded = try ModelDirectory.load(dir)
            XCTAssertEqual(loaded.layout, .native)
            func logits(_ m: AnyTransformerModel) -> [Float] {
                withNoGrad {
                    switch m {
                    case .encoderDecoder(let e): return e(source: ids, targetIn: ids).scalars
                    case .decoderOnly(let d): return d(ids).scalars
                    case .encoderOnly(let e): return e(ids).scalars
                    }
                }
            }
            XCTAssertEqual(logits(original), logits(loaded.model), "\(family)")
            // Half-precision export loads too, within bf16 rounding.
            let half = temporaryDirectory()
            try ModelDirectory.save(original.module, config: c, to: half, format: .bf16)
            let reloaded = try ModelDirectory.load(half)
            for (a, b) in zip(logits(original), logits(reloaded.model)) { XCTAssertEqual(a, b, accuracy: 0.05 * max(1, abs(a))) }
        }
    }

    func testBadDirectoriesGiveClearErrors() throws {
        XCTAssertThrowsError(try ModelDirectory.load(URL(fileURLWithPath: "/nonexistent-model"))) {
            XCTAssertTrue("\($0)".contains("/nonexistent-model"), "\($0)")
        }
        let c = config(.decoderOnly)
        let dir = temporaryDirectory()
        try ModelDirectory.save(try AnyTransformerModel(config: c).module, config: c, to: dir)
        // A config that no longer matches the weights: the error names the tensor and both shapes.
        var wider = c
        wider.ff = 24
        try wider.jsonData().write(to: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try ModelDirectory.load(dir)) {
            XCTAssertTrue("\($0)".contains("feedForward.linear1.weight") && "\($0)".contains("[24, 16]"), "\($0)")
        }
    }
}
