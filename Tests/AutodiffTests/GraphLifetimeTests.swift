// A recorded graph that is never back-propagated (a training step skipped for a non-finite loss,
// a forward pass with gradients on) is freed with its last tensor: no op's backward closure may
// hold the op's own output, which would be a reference cycle that only backward breaks.
import XCTest
import Autodiff

final class GraphLifetimeTests: XCTestCase {
    var rng = RandomGenerator(seed: 5)

    func input(_ shape: [Int]) -> Tensor {
        let t = Tensor.uniform(shape, low: -1, high: 1, generator: &rng)
        t.requiresGrad = true
        return t
    }

    /// Runs `op` on fresh inputs that require gradients and checks its output dies with the graph.
    func assertFreed(_ name: String, _ op: (GraphLifetimeTests) -> Tensor, file: StaticString = #filePath, line: UInt = #line) {
        weak var output: Tensor?
        do {
            let y = op(self)
            XCTAssertFalse(y.isLeaf, "\(name) recorded nothing", file: file, line: line)
            output = y
        }
        XCTAssertNil(output, "\(name): the output outlives the graph (a reference cycle)", file: file, line: line)
    }

    func testGraphsWithoutBackwardAreFreed() {
        let ids = Tensor(ints: [0, 2, 1], shape: [3])
        assertFreed("attention") { t in
            var g = RandomGenerator(seed: 1)
            return Tensor.attention(query: t.input([1, 2, 3, 4]), key: t.input([1, 2, 3, 4]), value: t.input([1, 2, 3, 4]), heads: 2,
                                    layout: .headsFirst, mask: nil, bias: nil, scale: 0.5, dropout: 0.1, generator: &g)
        }
        assertFreed("matmul") { $0.input([2, 3]).matmul($0.input([3, 4])) }
        assertFreed("linear") { $0.input([2, 3]).linear(weight: $0.input([4, 3]), bias: $0.input([4])) }
        assertFreed("softmax") { $0.input([2, 3]).softmax() }
        assertFreed("logSoftmax") { $0.input([2, 3]).logSoftmax() }
        assertFreed("layerNorm") { $0.input([2, 3]).layerNorm(weight: $0.input([3]), bias: $0.input([3]), eps: 1e-5) }
        assertFreed("rmsNorm") { $0.input([2, 3]).rmsNorm(weight: $0.input([3]), eps: 1e-5) }
        assertFreed("gather") { $0.input([4, 3]).gather(ids: ids) }
        assertFreed("scatterRows") { $0.input([3, 2]).scatterRows(ids: ids, count: 4) }
        assertFreed("maskedFill") { $0.input([2, 3]).maskedFill(Tensor([0, 1, 0], shape: [3]), value: -1) }
        assertFreed("dropout") { t in
            var g = RandomGenerator(seed: 2)
            return t.input([2, 3]).dropout(0.5, generator: &g)
        }
        assertFreed("crossEntropy") { $0.input([3, 4]).crossEntropy(targets: ids, labelSmoothing: 0.1) }
        assertFreed("rotary") { $0.input([2, 4]).rotaryEmbedding(offset: 1, base: 10_000) }
        assertFreed("binary") { $0.input([2, 3]) / $0.input([3]) }
        assertFreed("affine") { $0.input([2, 3]) * 2 + 1 }
        assertFreed("gelu") { $0.input([2, 3]).gelu() }
        assertFreed("sum") { $0.input([2, 3]).sum(axis: 1) }
        assertFreed("max") { $0.input([2, 3]).max() }
        assertFreed("reshape") { $0.input([2, 3]).reshaped([3, 2]) }
        assertFreed("permute") { $0.input([2, 3]).permuted([1, 0]) }
        assertFreed("slice") { $0.input([2, 3]).slice(axis: 1, 0..<2) }
        assertFreed("concat") { Tensor.concat([$0.input([2, 3]), $0.input([2, 1])], axis: 1) }
    }
}
