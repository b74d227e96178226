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
}
