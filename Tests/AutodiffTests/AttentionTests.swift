// The fused attention op (`Tensor.attention`) against central finite differences and against the
// same computation composed from separate ops (matmul, scale, bias, masked fill, softmax,
// dropout, matmul): both layouts, GQA, padding and causal masks, ALiBi-style bias, dropout.
import Foundation
import XCTest
import Autodiff
import CKernels

final class AttentionTests: XCTestCase {
    var rng = RandomGenerator(seed: 11)

    func rand(_ shape: [Int]) -> Tensor { Tensor.uniform(shape, low: -1, high: 1, generator: &rng) }

    /// [B, 1, T, S]: causal, and the last `padded[b]` keys of row b masked.
    func mask(batch: Int, t: Int, s: Int, padded: [Int], causal: Bool) -> Tensor {
        let m = Tensor(zeros: [batch, 1, t, s])
        for b in 0..<batch {
            for i in 0..<t {
                for j in 0..<s where j >= s - padded[b] || (causal && j > i) { m.data[(b * t + i) * s + j] = 1 }
            }
        }
        return m
    }

    /// The composed reference on [B, H, T, d] tensors.
    func composed(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: Tensor?, bias: Tensor?, dropout: Float,
                  generator: inout RandomGenerator) -> Tensor {
        let (b, h, t, dk) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (hkv, s) = (k.shape[1], k.shape[2])
        var scores = (q * (1 / Float(dk).squareRoot())).reshaped([b, hkv, h / hkv * t, dk]).matmul(k, transposeB: true)
            .reshaped([b, h, t, s])
        if let bias { scores = scores + bias }
        if let mask { scores = scores.maskedFill(mask, value: -.infinity) }
        let weights = scores.softmax(axis: -1).dropout(dropout, generator: &generator)
        return weights.reshaped([b, hkv, h / hkv * t, s]).matmul(v).reshaped([b, h, t, v.shape[3]])
    }

    func testGradientsHeadsFirstWithGQAMasksBiasAndDropout() {
        let (b, h, hkv, t, s, dk, dv) = (2, 4, 2, 3, 5, 4, 3)
        let m = mask(batch: b, t: t, s: s, padded: [0, 2], causal: false)
        let bias = rand([1, h, t, s])
        for p: Float in [0, 0.3] {
            let result = GradientCheck.check([rand([b, h, t, dk]), rand([b, hkv, s, dk]), rand([b, hkv, s, dv])]) { x in
                var g = RandomGenerator(seed: 3)   // the same dropout mask on every evaluation
                return Tensor.attention(query: x[0], key: x[1], value: x[2], heads: h, layout: .headsFirst, mask: m, bias: bias,
                                        scale: 0.5, dropout: p, generator: &g)
            }
            XCTAssertTrue(result.passed, "dropout \(p): \(result)")
        }
    }

    func testGradientsTokensFirstCausal() {
        let (b, h, hkv, t, dk) = (2, 2, 1, 4, 3)
        let m = mask(batch: b, t: t, s: t, padded: [1, 0], causal: true)
        let result = GradientCheck.check([rand([b, t, h * dk]), rand([b, t, hkv * dk]), rand([b, t, hkv * dk])]) { x in
            var g = RandomGenerator(seed: 3)
            return Tensor.attention(query: x[0], key: x[1], value: x[2], heads: h, layout: .tokensFirst, mask: m, bias: nil,
                                    scale: 0.7, dropout: 0, generator: &g)
        }
        XCTAssertTrue(result.passed, "\(result)")
    }

    /// Fused and composed agree in value and gradient, dropout included (the same counters).
    func testFusedEqualsComposedOps() {
        checkFusedEqualsComposed(b: 3, h: 4, hkv: 2, t: 6, s: 7, dk: 8, dv: 5)
    }

    /// Keys and values long and wide enough for the kernels' whole 16×16 transposition blocks
    /// (and their edges), on every SIMD level of the C kernels.
    func testFusedEqualsComposedOpsOnLongerRowsAtEveryLevel() {
        let best = tk_row_kernels_set_level(-1)
        defer { _ = tk_row_kernels_set_level(-1) }
        for level in 0...best {
            XCTAssertEqual(tk_row_kernels_set_level(level), level)
            checkFusedEqualsComposed(b: 3, h: 2, hkv: 1, t: 19, s: 37, dk: 48, dv: 20, label: "level \(level)")
        }
    }

    /// Causal masks: the kernels stop each query row at its last visible key (forward, dQ) and
    /// each key's column sums at its first visible query row (dK, dV), on every SIMD level.
    func testFusedEqualsComposedOpsCausalAtEveryLevel() {
        let best = tk_row_kernels_set_level(-1)
        defer { _ = tk_row_kernels_set_level(-1) }
        for level in 0...best {
            XCTAssertEqual(tk_row_kernels_set_level(level), level)
            checkFusedEqualsComposed(b: 3, h: 2, hkv: 1, t: 37, s: 37, dk: 20, dv: 33, causal: true, label: "level \(level)")
            checkFusedEqualsComposed(b: 3, h: 4, hkv: 2, t: 5, s: 21, dk: 8, dv: 16, causal: true, label: "level \(level)")
        }
    }

    func checkFusedEqualsComposed(b: Int, h: Int, hkv: Int, t: Int, s: Int, dk: Int, dv: Int, causal: Bool = false,
                                  label: String = "") {
        let m = mask(batch: b, t: t, s: s, padded: [0, 3, 6], causal: causal)
        let bias = rand([1, h, t, s])
        for layout in [AttentionLayout.headsFirst, .tokensFirst] {
            let q = rand([b, h, t, dk]), k = rand([b, hkv, s, dk]), v = rand([b, hkv, s, dv]), dy = rand([b, h, t, dv])
            for x in [q, k, v] { x.requiresGrad = true }
            var g1 = RandomGenerator(seed: 9), g2 = RandomGenerator(seed: 9)
            let reference = composed(q, k, v, mask: m, bias: bias, dropout: 0.25, generator: &g1)
            (reference * dy).sum().backward()
            let expected = [reference, q.grad!, k.grad!, v.grad!]
            for x in [q, k, v] { x.grad = nil }
            let fused: Tensor
            if layout == .headsFirst {
                fused = Tensor.attention(query: q, key: k, value: v, heads: h, layout: .headsFirst, mask: m, bias: bias,
                                         scale: 1 / Float(dk).squareRoot(), dropout: 0.25, generator: &g2)
            } else {
                // The same heads, as [B, T, H·d] projections.
                let flat = { (x: Tensor) in x.permuted([0, 2, 1, 3]).reshaped([x.shape[0], x.shape[2], x.shape[1] * x.shape[3]]) }
                fused = Tensor.attention(query: flat(q), key: flat(k), value: flat(v), heads: h, layout: .tokensFirst, mask: m,
                                         bias: bias, scale: 1 / Float(dk).squareRoot(), dropout: 0.25, generator: &g2)
                    .reshaped([b, t, h, dv]).permuted([0, 2, 1, 3])
            }
            (fused * dy).sum().backward()
            XCTAssertEqual(g1.counter, g2.counter, "both draw the same number of dropout decisions")
            for (name, (got, want)) in zip(["output", "dq", "dk", "dv"], zip([fused, q.grad!, k.grad!, v.grad!], expected)) {
                let err = zip(got.scalars, want.scalars).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(err, 1e-5, "\(layout) \(name) \(label)")
            }
            for x in [q, k, v] { x.grad = nil }
        }
    }

    /// NaN scores are not a fully masked row: the output is NaN, not zeros.
    func testNaNQueriesGiveNaNNotZeros() {
        let q = Tensor(repeating: .nan, shape: [1, 2, 2, 4]), k = rand([1, 2, 3, 4]), v = rand([1, 2, 3, 4])
        var g = RandomGenerator(seed: 1)
        let y = Tensor.attention(query: q, key: k, value: v, heads: 2, layout: .headsFirst, mask: nil, bias: nil, scale: 0.5,
                                 dropout: 0, generator: &g)
        XCTAssertTrue(y.scalars.allSatisfy(\.isNaN), "\(y.scalars)")
    }

    func testFullyMaskedQueriesGiveZerosNotNaN() {
        let m = Tensor(repeating: 1, shape: [1, 1, 2, 3])
        let q = rand([1, 2, 2, 4]), k = rand([1, 2, 3, 4]), v = rand([1, 2, 3, 4])
        for x in [q, k, v] { x.requiresGrad = true }
        var g = RandomGenerator(seed: 1)
        let y = Tensor.attention(query: q, key: k, value: v, heads: 2, layout: .headsFirst, mask: m, bias: nil, scale: 0.5,
                                 dropout: 0.1, generator: &g)
        XCTAssertEqual(y.scalars, [Float](repeating: 0, count: y.count))
        y.sum().backward()
        for x in [q, k, v] { XCTAssertTrue(x.grad!.scalars.allSatisfy { $0 == 0 }) }
    }
}
