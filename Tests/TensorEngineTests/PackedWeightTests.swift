// Pre-packed linear layers for decoding: values against a plain loop, and each row's result
// bit-identical whether computed alone or among other rows, on one thread or several.
import XCTest
import TensorEngine

final class PackedWeightTests: XCTestCase {
    func testValuesAndRowIndependence() {
        var g = RandomGenerator(seed: 5)
        for (m, n, k) in [(1, 1, 1), (5, 64, 17), (7, 100, 64), (13, 130, 33), (6, 200, 300)] {
            for withBias in [false, true] {
                let w = Tensor.randn([n, k], generator: &g), x = Tensor.randn([m, k], generator: &g)
                let bias = withBias ? Tensor.randn([n], generator: &g) : nil
                let packed = PackedWeight(weight: w, bias: bias)
                let y = packed.apply(x)
                XCTAssertEqual(y.shape, [m, n])
                for i in 0..<m {
                    for j in 0..<n {
                        var s = Double(bias?.data[j] ?? 0)
                        for p in 0..<k { s += Double(x.data[i * k + p]) * Double(w.data[j * k + p]) }
                        XCTAssertEqual(Double(y.data[i * n + j]), s, accuracy: 1e-4 * max(1, abs(s)))
                    }
                    let alone = packed.apply(Tensor(Array(x.scalars[(i * k)..<((i + 1) * k)]), shape: [1, k]))
                    XCTAssertEqual(alone.scalars, Array(y.scalars[(i * n)..<((i + 1) * n)]), "row \(i) of \(m)")
                }
                XCTAssertTrue(packed.matches(weight: w, bias: bias))
                let saved = w.data[0]
                w.data[0] += 1
                XCTAssertFalse(packed.matches(weight: w, bias: bias), "a raw write to a sampled place is seen")
                w.data[0] = saved
                XCTAssertTrue(packed.matches(weight: w, bias: bias))
                // An update through the library is seen wherever it lands, sampled or not.
                let delta = Tensor(zeros: w.shape)
                delta.data[w.count / 2 + 1] = 0.5
                Kernels.addInPlace(w, delta)
                XCTAssertFalse(packed.matches(weight: w, bias: bias), "a library update bumps the version")
            }
        }
    }
}
