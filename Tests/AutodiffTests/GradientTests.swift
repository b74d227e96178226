// Every differentiable op against central finite differences, including size-1 axes and
// broadcasting in both directions.
import Foundation
import XCTest
import Autodiff

final class GradientTests: XCTestCase {
    var rng = RandomGenerator(seed: 42)

    func rand(_ shape: [Int], _ low: Float = -1, _ high: Float = 1) -> Tensor {
        Tensor.uniform(shape, low: low, high: high, generator: &rng)
    }

    /// Values in ±[0.2, 1]: away from the kinks of relu and max.
    func awayFromZero(_ shape: [Int]) -> Tensor {
        let t = rand(shape, 0.2, 1)
        for i in 0..<t.count where rng.nextFloat() < 0.5 { t.data[i] = -t.data[i] }
        return t
    }

    func assertGradients(_ inputs: [Tensor], h: Float = 1e-2, file: StaticString = #filePath, line: UInt = #line,
                         _ f: @escaping ([Tensor]) -> Tensor) {
        let result = GradientCheck.check(inputs, h: h, f)
        XCTAssertTrue(result.passed, "\(result)", file: file, line: line)
    }

    func testArithmeticSameShape() {
        for op in ["+", "-", "*", "/"] {
            assertGradients([rand([3, 4]), rand([3, 4], 0.5, 1.5)]) { x in
                switch op {
                case "+": return x[0] + x[1]
                case "-": return x[0] - x[1]
                case "*": return x[0] * x[1]
                default: return x[0] / x[1]
                }
            }
        }
    }

    func testBroadcastingBothWays() {
        // [2,1,4] with [3,1]: each operand is broadcast along an axis of the other.
        assertGradients([rand([2, 1, 4]), rand([3, 1], 0.5, 1.5)]) { x in x[0] * x[1] + x[0] / x[1] }
        assertGradients([rand([4]), rand([2, 3, 4])]) { x in x[0] - x[1] }
        assertGradients([rand([1, 1]), rand([5, 1])]) { x in x[0] * x[1] }
        assertGradients([rand([]), rand([2, 3])]) { x in x[1] / (x[0] + 3) }
    }

    func testScalarForms() {
        assertGradients([rand([2, 3])]) { x in (2 * x[0] + 1) - x[0] / 4 - (3 - x[0]) * 0.5 + (-x[0]) }
        assertGradients([rand([2, 3])]) { x in x[0].affine(scale: -1.5, shift: 0.25) }
    }

    func testUnary() {
        assertGradients([rand([3, 5])]) { x in x[0].exp() }
        assertGradients([rand([3, 5], 0.5, 2)]) { x in x[0].log() }
        assertGradients([rand([3, 5], 0.5, 2)]) { x in x[0].sqrt() }
        assertGradients([rand([3, 5], -2, 2)]) { x in x[0].tanh() }
        assertGradients([rand([3, 5], -3, 3)]) { x in x[0].sigmoid() }
        assertGradients([awayFromZero([3, 5])]) { x in x[0].relu() }
        assertGradients([rand([3, 5], -3, 3)]) { x in x[0].gelu() }
        assertGradients([rand([3, 5], -3, 3)]) { x in x[0].geluTanh() }
        assertGradients([rand([3, 5], -3, 3)]) { x in x[0].silu() }
    }

    func testReductions() {
        assertGradients([rand([2, 3, 4])]) { x in x[0].sum(axis: 1) }
        assertGradients([rand([2, 3, 4])]) { x in x[0].sum(axes: [0, 2], keepDims: true) }
        assertGradients([rand([2, 3, 4])]) { x in x[0].mean(axis: -1) }
        assertGradients([rand([2, 3, 4])]) { x in x[0].mean() }
        assertGradients([rand([1, 3, 1])]) { x in x[0].sum(axis: 0) }
        // Distinct values so the maximum is unique and the function smooth around it.
        let distinct = Tensor((0..<24).map { Float(($0 * 7) % 24) / 10 }, shape: [2, 3, 4])
        assertGradients([distinct]) { x in x[0].max(axis: 1) }
        assertGradients([distinct.copy()]) { x in x[0].max(axes: [0, 2], keepDims: true) }
    }

    func testShapeOps() {
        assertGradients([rand([2, 3, 4])]) { x in x[0].reshaped([4, -1]) * x[0].reshaped([4, 6]) }
        assertGradients([rand([2, 3, 4])]) { x in x[0].permuted([2, 0, 1]) }
        assertGradients([rand([2, 3, 4])]) { x in x[0].transposed(0, 2) }
        assertGradients([rand([2, 3, 4])]) { x in x[0].slice(axis: 1, 1..<3) }
        assertGradients([rand([2, 3, 4]), rand([2, 2, 4])]) { x in Tensor.concat([x[0], x[1], x[0]], axis: 1) }
        assertGradients([rand([2, 5])]) { x in
            let parts = x[0].split(sizes: [2, 0, 3], axis: 1)
            return Tensor.concat([parts[2], parts[0]], axis: 1) * 2
        }
    }

    func testMatmulAllTransposes() {
        for ta in [false, true] {
            for tb in [false, true] {
                let a = rand(ta ? [4, 3] : [3, 4]), b = rand(tb ? [5, 4] : [4, 5])
                assertGradients([a, b]) { x in x[0].matmul(x[1], transposeA: ta, transposeB: tb) }
            }
        }
    }

    func testBatchedMatmul() {
        for ta in [false, true] {
            for tb in [false, true] {
                let a = rand(ta ? [2, 3, 4, 3] : [2, 3, 3, 4]), b = rand(tb ? [2, 3, 5, 4] : [2, 3, 4, 5])
                assertGradients([a, b]) { x in x[0].matmul(x[1], transposeA: ta, transposeB: tb) }
                // One matrix shared by every batch entry.
                let shared = rand(tb ? [5, 4] : [4, 5])
                assertGradients([a.copy(), shared]) { x in x[0].matmul(x[1], transposeA: ta, transposeB: tb) }
            }
        }
        assertGradients([rand([1, 1, 1]), rand([1, 1, 1])]) { x in x[0].matmul(x[1]) }
    }

    func testLinear() {
        assertGradients([rand([2, 3, 4]), rand([5, 4]), rand([5])]) { x in x[0].linear(weight: x[1], bias: x[2]) }
        assertGradients([rand([3, 4]), rand([1, 4])]) { x in x[0].linear(weight: x[1], bias: nil) }
    }

    func testSoftmax() {
        assertGradients([rand([3, 5], -2, 2)]) { x in x[0].softmax() }
        assertGradients([rand([3, 5, 2], -2, 2)]) { x in x[0].softmax(axis: 1) }
        assertGradients([rand([3, 5], -2, 2)]) { x in x[0].logSoftmax() }
        assertGradients([rand([2, 4, 3], -2, 2)]) { x in x[0].logSoftmax(axis: 0) }
        assertGradients([rand([4, 1])]) { x in x[0].softmax() * 3 }
    }

    func testNorms() {
        assertGradients([rand([3, 6], -2, 2), rand([6], 0.5, 1.5), rand([6])]) { x in
            x[0].layerNorm(weight: x[1], bias: x[2], eps: 1e-5)
        }
        assertGradients([rand([70, 5], -2, 2), rand([5], 0.5, 1.5), rand([5])], h: 5e-3) { x in
            x[0].layerNorm(weight: x[1], bias: x[2], eps: 1e-5)
        }
        assertGradients([rand([2, 3, 6], -2, 2)]) { x in x[0].layerNorm(weight: nil, bias: nil, eps: 1e-5) }
        assertGradients([rand([3, 6], -2, 2), rand([6], 0.5, 1.5)]) { x in x[0].rmsNorm(weight: x[1], eps: 1e-6) }
    }

    func testBatchNorm() {
        // Statistics over the rows: each output depends on every row of its feature.
        assertGradients([rand([5, 4], -2, 2), rand([4], 0.5, 1.5), rand([4])]) { x in
            x[0].batchNorm(weight: x[1], bias: x[2], eps: 1e-5).0
        }
        assertGradients([rand([2, 3, 6], -2, 2), rand([6], 0.5, 1.5), rand([6])], h: 5e-3) { x in
            x[0].batchNorm(weight: x[1], bias: x[2], eps: 1e-5).0 * 2
        }
    }

    func testEmbedding() {
        let ids = Tensor(ints: [0, 3, 3, 1, 0, 2], shape: [2, 3])
        assertGradients([rand([4, 5])]) { x in x[0].gather(ids: ids) }
        let rows = Tensor(ints: [4, 0, 2], shape: [3])
        assertGradients([rand([3, 5])]) { x in x[0].scatterRows(ids: rows, count: 6) }
    }

    func testMaskedFill() {
        let mask = Tensor([0, 1, 0, 0, 1, 1, 0, 0], shape: [2, 1, 4])
        assertGradients([rand([2, 3, 4])]) { x in x[0].maskedFill(mask, value: -5).softmax() }
        assertGradients([rand([3, 4])]) { x in x[0].maskedFill(Tensor([1, 0, 0, 1]), value: 0) }
    }

    func testDropout() {
        // The same generator state gives the same mask on every evaluation.
        let start = RandomGenerator(seed: 9)
        assertGradients([rand([4, 8])]) { x in
            var g = start
            return x[0].dropout(0.3, generator: &g)
        }
    }

    func testCrossEntropy() {
        let targets = Tensor(ints: [1, 0, 3, -100, 2], shape: [5])
        for eps: Float in [0, 0.1] {
            assertGradients([rand([5, 4], -2, 2)]) { x in
                x[0].crossEntropy(targets: targets, labelSmoothing: eps, ignoreIndex: -100)
            }
        }
    }

    func testGradientCheckCatchesAWrongGradient() {
        // A deliberately wrong backward must fail the check: the check itself can fail.
        let x = rand([3])
        let result = GradientCheck.check([x]) { x in
            let y = x[0].affine(scale: 2)
            return y.detached().recorded("wrong", [x[0]]) { dy in [dy] }   // true gradient is 2·dy
        }
        XCTAssertFalse(result.passed)
    }

    func testAccumulationIntoLeaves() {
        let w = Tensor([1, 2, 3])
        w.requiresGrad = true
        (w * w).sum().backward()
        (w * 3).sum().backward()
        XCTAssertEqual(w.grad?.scalars, [5, 7, 9])
    }

    func testNoGradRecordsNothing() {
        let w = Tensor([1, 2])
        w.requiresGrad = true
        let y = withNoGrad { (w * w).sum() }
        XCTAssertNil(y.gradNode)
        XCTAssertFalse(y.requiresGrad)
    }

    func testSharedSubexpressionGetsSummedGradient() {
        let x = Tensor([0.5, -1, 2])
        x.requiresGrad = true
        let y = x.exp()
        (y * y + y).sum().backward()
        let expected = x.scalars.map { 2 * Foundation.exp(2 * $0) + Foundation.exp($0) }
        for (g, e) in zip(x.grad!.scalars, expected) { XCTAssertEqual(g, e, accuracy: 1e-4) }
    }
}
