// Results must be bit-identical with 1 and 2 threads: work is split over independent
// outputs, and every sum runs in a fixed order.
import XCTest
import TensorEngine

final class ThreadDeterminismTests: XCTestCase {
    func run(threads: Int, _ body: () -> [Tensor]) -> [[Float]] {
        let saved = ThreadPool.shared.threadCount
        ThreadPool.shared.threadCount = threads
        defer { ThreadPool.shared.threadCount = saved }
        return body().map(\.scalars)
    }

    func testKernelsAreBitIdenticalAcrossThreadCounts() {
        var rng = RandomGenerator(seed: 5)
        let x = Tensor.uniform([256, 384], low: -3, high: 3, generator: &rng)
        let y = Tensor.uniform([384], low: -1, high: 1, generator: &rng)
        let w = Tensor.uniform([200, 384], low: -0.1, high: 0.1, generator: &rng)
        let ids = Tensor(ints: (0..<4096).map { Int32(($0 * 37) % 1000) }, shape: [4096])
        let table = Tensor.uniform([1000, 64], low: -1, high: 1, generator: &rng)
        let targets = Tensor(ints: (0..<256).map { Int32($0 % 384) }, shape: [256])
        let compute = { () -> [Tensor] in
            var g = RandomGenerator(seed: 1)
            let (ln, stats) = Kernels.layerNorm(x, gamma: y, beta: y, eps: 1e-5)
            let back = Kernels.layerNormBackward(x: x, gamma: y, hasBeta: true, stats: stats, dy: ln)
            let ce = Kernels.crossEntropy(logits: x, targets: targets, labelSmoothing: 0.1, ignoreIndex: 0)
            return [
                Kernels.binary(x, y, .mul), Kernels.unary(x, .gelu), Kernels.softmax(x, axis: -1),
                Kernels.softmax(x, axis: 0), Kernels.reduce(x, axis: 0, kind: .sum), Kernels.reduce(x, axis: 1, kind: .max),
                Kernels.permute(x, [1, 0]), ln, back.dx, back.dgamma!, back.dbeta!,
                Kernels.matmul(x, w, transposeB: true), Kernels.embeddingBackward(ids: ids, dy: Kernels.embedding(weight: table, ids: ids), vocabularySize: 1000),
                Kernels.dropout(x, p: 0.1, generator: &g).0, Tensor(scalar: ce.loss),
                Kernels.crossEntropyBackward(logits: x, targets: targets, result: ce, labelSmoothing: 0.1, ignoreIndex: 0, dLoss: 1),
            ]
        }
        let one = run(threads: 1, compute), two = run(threads: 2, compute)
        for (i, (a, b)) in zip(one, two).enumerated() {
            XCTAssertEqual(a, b, "output \(i) differs between 1 and 2 threads")
        }
    }

    func testParallelForVisitsEveryIndexOnce() {
        let n = 10_000
        let counts = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        counts.initialize(repeating: 0, count: n)
        defer { counts.deallocate() }
        ThreadPool.shared.parallelFor(n) { i in counts[i] += 1 }
        XCTAssertTrue((0..<n).allSatisfy { counts[$0] == 1 })
    }
}
