// Module.build: a model whose parameter values a loader supplies draws no random numbers, uses
// the supplied tensors themselves, and keeps the values the loader wrote in place.
import XCTest
@testable import Layers

final class ParameterInitializationTests: XCTestCase {
    func testBuildUsesSuppliedValuesWithoutDrawing() throws {
        var generator = RandomGenerator(seed: 1)
        let weight = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let built = try Module.build({ Linear(3, 2, generator: &generator) }, module: { $0 }) { params in
            XCTAssertEqual(params.map(\.name), ["weight", "bias"])
            XCTAssertEqual(params.map(\.tensor.shape), [[2, 3], [2]])
            params[1].tensor.data.update(repeating: 7, count: 2)
            return ["weight": weight]
        }
        XCTAssertTrue(built.weight === weight)
        XCTAssertTrue(built.weight.requiresGrad && built.bias?.requiresGrad == true)
        XCTAssertEqual(built.bias?.scalars, [7, 7])
        XCTAssertEqual(generator.counter, 0, "no random number drawn")
        // Outside a build, layers initialize themselves as before.
        let fresh = Linear(3, 2, generator: &generator)
        XCTAssertGreaterThan(generator.counter, 0)
        XCTAssertEqual(fresh.bias?.scalars, [0, 0])
    }

    func testNestedParametersAreSuppliedByPath() throws {
        final class Nested: Module {
            let embedding: TokenEmbedding
            let norm: LayerNorm
            init(generator: inout RandomGenerator) {
                embedding = TokenEmbedding(vocabularySize: 4, dimension: 2, generator: &generator)
                norm = LayerNorm(2)
            }
        }
        var generator = RandomGenerator(seed: 3)
        let table = Tensor([Float](repeating: 0.5, count: 8), shape: [4, 2])
        let built = try Module.build({ Nested(generator: &generator) }, module: { $0 }) { params in
            XCTAssertEqual(params.map(\.name), ["embedding.weight", "norm.weight", "norm.bias"])
            for (_, t) in params.dropFirst() { t.data.update(repeating: 0, count: t.count) }
            return ["embedding.weight": table]
        }
        XCTAssertTrue(built.embedding.weight === table)
        XCTAssertEqual(built.norm.weight.scalars, [0, 0])
        XCTAssertEqual(generator.counter, 0)
    }

    func testGPT2InitializationScalesTheResidualProjections() {
        func std(_ t: Tensor) -> Float {
            let x = t.scalars
            let mean = x.reduce(0, +) / Float(x.count)
            return (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(x.count)).squareRoot()
        }
        var g = RandomGenerator(seed: 3)
        let scheme = WeightInitialization.gpt2(layers: 8)
        let attention = MultiHeadAttention(dModel: 128, heads: 4, bias: true, dropout: Dropout(0, source: RandomSource(seed: 0)),
                                           initialization: scheme, generator: &g)
        let ff = PositionwiseFeedForward(dModel: 128, hidden: 512, activation: .gelu, dropout: Dropout(0, source: RandomSource(seed: 0)),
                                         initialization: scheme, generator: &g)
        let embedding = TokenEmbedding(vocabularySize: 300, dimension: 128, scaled: false, initialization: scheme, generator: &g)
        for (name, t) in [("query", attention.query.weight), ("value", attention.value.weight), ("linear1", ff.linear1.weight),
                          ("embedding", embedding.weight)] {
            XCTAssertEqual(std(t), 0.02, accuracy: 0.001, name)
        }
        for (name, t) in [("output", attention.output.weight), ("linear2", ff.linear2.weight)] {
            XCTAssertEqual(std(t), 0.02 / 4, accuracy: 0.0003, name)
        }
        XCTAssertEqual(attention.output.bias?.scalars.allSatisfy { $0 == 0 }, true)
        // Xavier stays the default, drawing exactly what it drew before.
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let limit = (6 / Float(128 + 512)).squareRoot()
        XCTAssertEqual(Linear(128, 512, generator: &a).weight.scalars,
                       Tensor.uniform([512, 128], low: -limit, high: limit, generator: &b).scalars)
    }
}
