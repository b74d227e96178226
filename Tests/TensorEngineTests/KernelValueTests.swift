// Forward values of the kernels against straightforward references.
import XCTest
import TensorEngine

final class KernelValueTests: XCTestCase {
    var rng = RandomGenerator(seed: 3)

    func assertClose(_ a: [Float], _ b: [Float], _ tol: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) where !(abs(x - y) <= tol * max(1, abs(y))) {
            XCTFail("\(x) vs \(y)", file: file, line: line); return
        }
    }

    func testBroadcastBinary() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let row = Tensor([10, 20, 30], shape: [3])
        let col = Tensor([100, 200], shape: [2, 1])
        XCTAssertEqual(Kernels.binary(a, row, .add).scalars, [11, 22, 33, 14, 25, 36])
        XCTAssertEqual(Kernels.binary(a, col, .mul).scalars, [100, 200, 300, 800, 1000, 1200])
        XCTAssertEqual(Kernels.binary(col, row, .sub).shape, [2, 3])
        XCTAssertEqual(Kernels.binary(col, row, .sub).scalars, [90, 80, 70, 190, 180, 170])
        XCTAssertEqual(Kernels.binary(Tensor(scalar: 6), a, .div).scalars, [6, 3, 2, 1.5, 1.2, 1])
        // A large case that runs on the pool, against an index-by-index reference.
        let x = Tensor.uniform([64, 1, 1024], low: -1, high: 1, generator: &rng)
        let y = Tensor.uniform([1, 8, 1024], low: -1, high: 1, generator: &rng)
        let z = Kernels.binary(x, y, .add)
        XCTAssertEqual(z.shape, [64, 8, 1024])
        for (i, j, k) in [(0, 0, 0), (63, 7, 1023), (5, 3, 17)] {
            XCTAssertEqual(z.data[(i * 8 + j) * 1024 + k], x.data[i * 1024 + k] + y.data[j * 1024 + k])
        }
    }

    func testReductions() {
        let a = Tensor([1, 5, 3, 4, 2, 6], shape: [2, 3])
        XCTAssertEqual(Kernels.reduce(a, axis: 0, kind: .sum).scalars, [5, 7, 9])
        XCTAssertEqual(Kernels.reduce(a, axis: 1, kind: .max).scalars, [5, 6])
        XCTAssertEqual(Kernels.reduce(a, axis: -1, kind: .mean).shape, [2, 1])
        XCTAssertEqual(Kernels.reduce(a, axis: 1, kind: .mean).scalars, [3, 4])
        XCTAssertEqual(Kernels.sumToShape(a, [1, 3]).scalars, [5, 7, 9])
        XCTAssertEqual(Kernels.sumToShape(a, []).scalars, [21])
    }

    func testLayout() {
        let a = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let p = Kernels.permute(a, [2, 0, 1])
        XCTAssertEqual(p.shape, [4, 2, 3])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            XCTAssertEqual(p.data[(k * 2 + i) * 3 + j], a.data[(i * 3 + j) * 4 + k])
        } } }
        let s = Kernels.slice(a, axis: 1, range: 1..<3)
        XCTAssertEqual(s.shape, [2, 2, 4])
        XCTAssertEqual(Array(s.scalars.prefix(4)), [4, 5, 6, 7])
        let c = Kernels.concat([s, Kernels.slice(a, axis: 1, range: 0..<1)], axis: 1)
        XCTAssertEqual(c.shape, [2, 3, 4])
        XCTAssertEqual(Array(c.scalars.suffix(4)), [12, 13, 14, 15])
        XCTAssertEqual(Kernels.permute(Tensor(ints: [1, 2, 3, 4, 5, 6], shape: [2, 3]), [1, 0]).intScalars, [1, 4, 2, 5, 3, 6])
    }

    func testSoftmaxRowsAndMaskedRows() {
        let x = Tensor([1, 2, 3, -.infinity, -.infinity, -.infinity], shape: [2, 3])
        let y = Kernels.softmax(x, axis: -1)
        let e = [Float(1), 2, 3].map { Foundation.exp($0 - 3) }, s = e.reduce(0, +)
        assertClose(Array(y.scalars.prefix(3)), e.map { $0 / s })
        XCTAssertEqual(Array(y.scalars.suffix(3)), [0, 0, 0], "a fully masked row gives zeros, not NaN")
        let ls = Kernels.softmax(x, axis: -1, log: true)
        assertClose(Array(ls.scalars.prefix(3)), e.map { Foundation.log($0 / s) })
        // Along a non-last axis equals the transposed computation.
        let z = Tensor.uniform([3, 5], low: -2, high: 2, generator: &rng)
        let viaT = Kernels.permute(Kernels.softmax(Kernels.permute(z, [1, 0]), axis: 1), [1, 0])
        assertClose(Kernels.softmax(z, axis: 0).scalars, viaT.scalars)
    }

    func testLayerNormAndRMSNorm() {
        let x = Tensor([1, 2, 3, 4, -1, 0, 1, 6], shape: [2, 4])
        let g = Tensor([1, 2, 1, 0.5]), b = Tensor([0, 1, 0, -1])
        let (y, _) = Kernels.layerNorm(x, gamma: g, beta: b, eps: 1e-5)
        var ref: [Float] = []
        for r in 0..<2 {
            let row = Array(x.scalars[r * 4 ..< r * 4 + 4])
            let mu = row.reduce(0, +) / 4
            let v = row.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / 4
            for j in 0..<4 { ref.append((row[j] - mu) / (v + 1e-5).squareRoot() * g.data[j] + b.data[j]) }
        }
        assertClose(y.scalars, ref)
        let (r, _) = Kernels.layerNorm(x, gamma: g, beta: nil, eps: 1e-6, rms: true)
        let row0 = Array(x.scalars[0..<4]), ms = row0.map { $0 * $0 }.reduce(0, +) / 4
        assertClose(Array(r.scalars[0..<4]), (0..<4).map { row0[$0] / (ms + 1e-6).squareRoot() * g.data[$0] })
    }

    func testCrossEntropyMatchesDefinition() {
        // PyTorch's definition: (1 − ε)·NLL + ε·mean_j(−log p_j), averaged over non-ignored rows.
        let logits = Tensor.uniform([4, 6], low: -3, high: 3, generator: &rng)
        let targets = Tensor(ints: [2, 0, -1, 5], shape: [4])
        let eps: Float = 0.1
        let result = Kernels.crossEntropy(logits: logits, targets: targets, labelSmoothing: eps, ignoreIndex: -1)
        var total = 0.0
        for i in [0, 1, 3] {
            let row = (0..<6).map { Double(logits.data[i * 6 + $0]) }
            let lse = Foundation.log(row.map { Foundation.exp($0) }.reduce(0, +))
            let logp = row.map { $0 - lse }
            total += (1 - Double(eps)) * -logp[Int(targets.intData[i])] + Double(eps) * -logp.reduce(0, +) / 6
        }
        XCTAssertEqual(result.count, 3)
        XCTAssertEqual(Double(result.loss), total / 3, accuracy: 1e-5)
        let none = Kernels.crossEntropy(logits: logits, targets: Tensor(ints: [-1, -1, -1, -1], shape: [4]),
                                        labelSmoothing: 0, ignoreIndex: -1)
        XCTAssertEqual(none.loss, 0, "no counted targets gives 0, not NaN")
    }

    func testEmbeddingAndMaskedFill() {
        let w = Tensor((0..<8).map(Float.init), shape: [4, 2])
        let out = Kernels.embedding(weight: w, ids: Tensor(ints: [3, 0, 3], shape: [3]))
        XCTAssertEqual(out.shape, [3, 2])
        XCTAssertEqual(out.scalars, [6, 7, 0, 1, 6, 7])
        let dw = Kernels.embeddingBackward(ids: Tensor(ints: [3, 0, 3], shape: [3]), dy: Tensor(repeating: 1, shape: [3, 2]), vocabularySize: 4)
        XCTAssertEqual(dw.scalars, [1, 1, 0, 0, 0, 0, 2, 2])
        let m = Kernels.maskedFill(Tensor([1, 2, 3, 4], shape: [2, 2]), mask: Tensor(ints: [0, 1], shape: [2]), value: -9)
        XCTAssertEqual(m.scalars, [1, -9, 3, -9])
    }

    func testDropoutKeepsExpectedFractionAndScales() {
        var g = RandomGenerator(seed: 11)
        let x = Tensor(repeating: 1, shape: [100_000])
        let (y, mask) = Kernels.dropout(x, p: 0.25, generator: &g)
        let kept = y.scalars.filter { $0 != 0 }
        XCTAssertEqual(Double(kept.count) / 100_000, 0.75, accuracy: 0.01)
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        XCTAssertEqual(y.scalars, mask.scalars)
        var g2 = RandomGenerator(seed: 11)
        XCTAssertEqual(Kernels.dropout(x, p: 0.25, generator: &g2).0.scalars, y.scalars, "same seed, same mask")
        XCTAssertNotEqual(Kernels.dropout(x, p: 0.25, generator: &g2).0.scalars, y.scalars, "the stream moves on")
    }

    func testMatmulShapesAndSharedWeight() {
        let a = Tensor.uniform([2, 3, 4], low: -1, high: 1, generator: &rng)
        let w = Tensor.uniform([5, 4], low: -1, high: 1, generator: &rng)
        let bias = Tensor([1, 2, 3, 4, 5])
        let y = Kernels.matmul(a, w, transposeB: true, bias: bias)
        XCTAssertEqual(y.shape, [2, 3, 5])
        for r in 0..<6 { for o in 0..<5 {
            var s = bias.data[o]
            for k in 0..<4 { s += a.data[r * 4 + k] * w.data[o * 4 + k] }
            XCTAssertEqual(y.data[r * 5 + o], s, accuracy: 1e-5)
        } }
        let bt = Kernels.matmul(a, Tensor.uniform([2, 5, 4], low: -1, high: 1, generator: &rng), transposeB: true)
        XCTAssertEqual(bt.shape, [2, 3, 5])
    }
}

import Foundation
