// Sampling: temperature, top-k and top-p filtering, seeded determinism, and generation with a
// decoder-only model.
import Foundation
import XCTest
import Generation
import Models

final class SamplerTests: XCTestCase {
    let logits: [Float] = [log(0.1), log(0.5), log(0.2), log(0.2)]

    func testFiltering() {
        let all = Sampler(seed: 1).distribution(logits)
        XCTAssertEqual(all.map(\.id), [0, 1, 2, 3])
        for (p, expected) in zip(all.map(\.probability), [0.1, 0.5, 0.2, 0.2] as [Float]) { XCTAssertEqual(p, expected, accuracy: 1e-6) }

        let top2 = Sampler(topK: 2, seed: 1).distribution(logits)
        XCTAssertEqual(top2.map(\.id), [1, 2])   // tie between 2 and 3: the lower id
        XCTAssertEqual(top2[0].probability, 0.5 / 0.7, accuracy: 1e-6)

        // Nucleus: 0.5 < 0.6, 0.5 + 0.2 ≥ 0.6 → two tokens.
        let nucleus = Sampler(topP: 0.6, seed: 1).distribution(logits)
        XCTAssertEqual(nucleus.map(\.id), [1, 2])
        XCTAssertEqual(nucleus[1].probability, 0.2 / 0.7, accuracy: 1e-6)
        XCTAssertEqual(Sampler(topP: 0.5, seed: 1).distribution(logits).map(\.id), [1])
        XCTAssertEqual(Sampler(topK: 3, topP: 0.99, seed: 1).distribution(logits).map(\.id), [1, 2, 3])

        XCTAssertEqual(Sampler(temperature: 0, seed: 1).distribution(logits).map(\.id), [1])
        // T = 2 takes the square root of the odds: 0.5 vs 0.1 becomes √5 : 1.
        let warm = Sampler(temperature: 2, seed: 1).distribution(logits)
        XCTAssertEqual(warm[1].probability / warm[0].probability, Float(5).squareRoot(), accuracy: 1e-5)
    }

    func testSeededDeterminismAndFrequencies() {
        func draws(_ seed: UInt64, _ n: Int) -> [Int32] {
            var s = Sampler(seed: seed)
            return (0..<n).map { _ in s.sample(logits) }
        }
        XCTAssertEqual(draws(42, 200), draws(42, 200))
        XCTAssertNotEqual(draws(42, 200), draws(43, 200))
        let many = draws(7, 20000)
        for (id, p) in [(0, 0.1), (1, 0.5), (2, 0.2), (3, 0.2)] as [(Int32, Double)] {
            XCTAssertEqual(Double(many.filter { $0 == id }.count) / 20000, p, accuracy: 0.015)
        }
        var k1 = Sampler(topK: 1, seed: 3)
        XCTAssertTrue((0..<50).allSatisfy { _ in k1.sample(logits) == 1 })
    }

    func testLanguageModelGeneration() throws {
        let model = try DecoderOnlyModel(config: TestModels.config(.decoderOnly, positional: .rope, normFirst: true), seed: 2)
        model.train(false)
        func generate(_ seed: UInt64, temperature: Float = 1) -> [Int32] {
            var sampler = Sampler(temperature: temperature, topK: 10, topP: 0.9, seed: seed)
            var streamed: [Int32] = []
            let out = LanguageModelGeneration.run(model: model, prompt: [1, 5, 7], maxNewTokens: 12, sampler: &sampler, eos: nil) {
                streamed.append($0); return true
            }
            XCTAssertEqual(out, streamed)
            return out
        }
        XCTAssertEqual(generate(5).count, 12)
        XCTAssertEqual(generate(5), generate(5))
        XCTAssertNotEqual(generate(5), generate(6))
        // Temperature 0 is greedy: the uncached model's argmax at every step.
        let greedy = generate(1, temperature: 0)
        withNoGrad {
            var seq: [Int32] = [1, 5, 7]
            for token in greedy {
                let row = model(Tensor(ints: seq, shape: [1, seq.count])).slice(axis: 1, (seq.count - 1)..<seq.count).scalars
                XCTAssertEqual(Int32(row.indices.max { row[$0] < row[$1] }!), token)
                seq.append(token)
            }
        }
        // The callback can stop generation.
        var sampler = Sampler(seed: 1)
        XCTAssertEqual(LanguageModelGeneration.run(model: model, prompt: [1], maxNewTokens: 10, sampler: &sampler, eos: nil) { _ in false }.count, 1)
    }

    func testLearnedPositionsSlideOverTheLastMaxLenTokens() throws {
        var config = TestModels.config(.decoderOnly, positional: .learned, normFirst: true)
        config.maxLen = 6
        let model = try DecoderOnlyModel(config: config, seed: 4)
        model.train(false)
        var sampler = Sampler(temperature: 0, seed: 1)
        XCTAssertEqual(LanguageModelGeneration.run(model: model, prompt: [1, 5, 7], maxNewTokens: 12, sampler: &sampler,
                                                   stopTokens: []).count, 3, "without sliding, generation stops at the last position")
        let out = LanguageModelGeneration.run(model: model, prompt: [1, 5, 7], maxNewTokens: 12, sampler: &sampler,
                                              stopTokens: [], slidingWindow: true)
        XCTAssertEqual(out.count, 12)
        // Each token is the uncached model's argmax over the last 6 tokens before it.
        withNoGrad {
            var seq: [Int32] = [1, 5, 7]
            for token in out {
                let window = Array(seq.suffix(6))
                let row = model(Tensor(ints: window, shape: [1, window.count])).slice(axis: 1, (window.count - 1)..<window.count).scalars
                XCTAssertEqual(Int32(row.indices.max { row[$0] < row[$1] }!), token)
                seq.append(token)
            }
        }
    }
}
