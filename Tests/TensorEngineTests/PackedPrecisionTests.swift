// Packed linear layers in float32, bfloat16 and int8 on every kernel level this CPU has (AVX-512
// with VNNI/BF16, AVX-512, AVX2, generic): values against references on odd shapes, the same
// results at every level, each row the same alone or in a batch, with one thread or two.
import CKernels
import Foundation
import TensorEngine
import XCTest

/// Runs `body` once per packed-kernel level this CPU has.
func forEachPackedLevel(_ body: (Int32) throws -> Void) rethrows {
    let best = tk_packed_linear_set_level(-1)
    defer { _ = tk_packed_linear_set_level(-1) }
    for level in 0...best {
        XCTAssertEqual(tk_packed_linear_set_level(level), level)
        try body(level)
    }
}

final class PackedPrecisionTests: XCTestCase {
    static let shapes = [(1, 1, 1), (1, 64, 128), (2, 3, 5), (5, 65, 17), (7, 100, 64), (13, 130, 33), (6, 200, 301), (53, 70, 263)]

    override func tearDown() { _ = tk_packed_linear_set_level(-1) }

    func tensors(_ m: Int, _ n: Int, _ k: Int, seed: UInt64) -> (x: Tensor, w: Tensor, b: Tensor) {
        var g = RandomGenerator(seed: seed)
        return (Tensor.uniform([m, k], low: -2, high: 2, generator: &g), Tensor.uniform([n, k], low: -0.5, high: 0.5, generator: &g),
                Tensor.uniform([n], low: -1, high: 1, generator: &g))
    }

    /// The bfloat16 value of x (nearest, ties to even), as a Double.
    func bf16(_ x: Float) -> Double { Double(Float(bitPattern: UInt32(tk_bf16_from_float(x)) << 16)) }

    /// Symmetric int8 quantization of a row, written independently of the kernels.
    func quantize(_ row: ArraySlice<Float>) -> (q: [Int32], scale: Float) {
        let amax = row.map(abs).max() ?? 0
        guard amax > 0 else { return (row.map { _ in 0 }, 0) }
        let inv = 127 / amax
        return (row.map { Int32(max(-127, min(127, ($0 * inv).rounded(.toNearestOrEven)))) }, amax / 127)
    }

    func testFloat32AndBFloat16AgainstReferences() {
        forEachPackedLevel { level in
            for (m, n, k) in Self.shapes {
                let (x, w, b) = tensors(m, n, k, seed: UInt64(m * 1000 + n + k))
                let f32 = PackedWeight(weight: w, bias: b).apply(x)
                let half = PackedWeight(weight: w, bias: b, precision: .bf16).apply(x)
                for i in 0..<m {
                    for j in 0..<n {
                        var exact = Double(b.data[j]), rounded = exact, magnitude = abs(exact)
                        for p in 0..<k {
                            let (xv, wv) = (x.data[i * k + p], w.data[j * k + p])
                            exact += Double(xv) * Double(wv)
                            rounded += bf16(xv) * bf16(wv)
                            magnitude += abs(Double(xv) * Double(wv))
                        }
                        let tag = "level \(level) \(m)×\(n)×\(k) [\(i), \(j)]"
                        XCTAssertEqual(Double(f32.data[i * n + j]), exact, accuracy: 1e-5 * max(1, magnitude), tag)
                        // Float32 sums of bfloat16 products: close to the rounded inputs' exact sum, and
                        // within bfloat16's rounding (2⁻⁸ per operand) of the float result.
                        XCTAssertEqual(Double(half.data[i * n + j]), rounded, accuracy: 1e-5 * max(1, magnitude), tag)
                        XCTAssertEqual(Double(half.data[i * n + j]), exact, accuracy: 2 * 0.0039 * magnitude + 1e-6, tag)
                    }
                }
            }
        }
    }

    func testInt8AgainstReferences() {
        forEachPackedLevel { level in
            for (m, n, k) in Self.shapes {
                let (x, w, b) = tensors(m, n, k, seed: UInt64(m * 1000 + n + k))
                let y = PackedWeight(weight: w, bias: b, precision: .int8).apply(x)
                let xs = x.scalars, ws = w.scalars
                let qx = (0..<m).map { quantize(xs[($0 * k)..<(($0 + 1) * k)]) }
                let qw = (0..<n).map { quantize(ws[($0 * k)..<(($0 + 1) * k)]) }
                for i in 0..<m {
                    for j in 0..<n {
                        let dot = (0..<k).reduce(Int32(0)) { $0 + qx[i].q[$1] * qw[j].q[$1] }
                        let tag = "level \(level) \(m)×\(n)×\(k) [\(i), \(j)]"
                        // Exactly the quantized product (one fused multiply-add), and close to the float one.
                        XCTAssertEqual(y.data[i * n + j], b.data[j].addingProduct(Float(dot), qx[i].scale * qw[j].scale), tag)
                        var exact = Double(b.data[j]), magnitude = 0.0
                        for p in 0..<k {
                            exact += Double(xs[i * k + p]) * Double(ws[j * k + p])
                            magnitude += abs(Double(xs[i * k + p]) * Double(ws[j * k + p]))
                        }
                        // Each operand is off by at most half a step (max|row|/254) of its row.
                        XCTAssertEqual(Double(y.data[i * n + j]), exact, accuracy: 2 * magnitude / 127 + 1e-6, tag)
                    }
                }
            }
        }
    }

    func testEveryLevelGivesTheSameResults() {
        for precision in InferencePrecision.allCases {
            for (m, n, k) in Self.shapes {
                let (x, w, b) = tensors(m, n, k, seed: 7)
                var results: [[Float]] = []
                forEachPackedLevel { _ in
                    let packed = PackedWeight(weight: w, bias: b, precision: precision)
                    results.append(packed.apply(x).scalars + packed.apply(x, relu: true).scalars)
                }
                for (level, r) in results.enumerated() {
                    XCTAssertEqual(r.map(\.bitPattern), results[0].map(\.bitPattern), "\(precision) level \(level) \(m)×\(n)×\(k)")
                }
            }
        }
    }

    func testRowsAreIndependentOfBatchAndThreads() {
        let saved = ThreadPool.shared.threadCount
        defer { ThreadPool.shared.threadCount = saved }
        for precision in InferencePrecision.allCases {
            forEachPackedLevel { level in
                for (m, n, k) in [(17, 640, 400), (3, 130, 33)] {
                    let (x, w, b) = tensors(m, n, k, seed: 11)
                    let packed = PackedWeight(weight: w, bias: b, precision: precision)
                    ThreadPool.shared.threadCount = 1
                    let one = packed.apply(x)
                    ThreadPool.shared.threadCount = 2
                    let two = packed.apply(x)
                    XCTAssertEqual(one.scalars, two.scalars, "\(precision) level \(level): 1 vs 2 threads")
                    for i in [0, m / 2, m - 1] {
                        let alone = packed.apply(Tensor(Array(x.scalars[(i * k)..<((i + 1) * k)]), shape: [1, k]))
                        XCTAssertEqual(alone.scalars, Array(two.scalars[(i * n)..<((i + 1) * n)]), "\(precision) level \(level) row \(i) of \(m)")
                    }
                }
            }
        }
    }

    func testFusedReLUMatchesReLUAfterwards() {
        for precision in InferencePrecision.allCases {
            forEachPackedLevel { level in
                let (x, w, b) = tensors(9, 70, 21, seed: 3)
                let packed = PackedWeight(weight: w, bias: b, precision: precision)
                let plain = packed.apply(x).scalars.map { $0 <= 0 ? 0 : $0 }
                XCTAssertEqual(packed.apply(x, relu: true).scalars, plain, "\(precision) level \(level)")
            }
        }
    }

    func testRowsOfPackedWeightsAreTheWeights() {
        let (_, w, _) = tensors(1, 130, 37, seed: 4)
        let ids = Tensor(ints: [0, 129, 64, 63, 5], shape: [5])
        for precision in InferencePrecision.allCases {
            let rows = PackedWeight(weight: w, bias: nil, precision: precision).rows(ids)
            XCTAssertEqual(rows.shape, [5, 37])
            for (i, id) in ids.intScalars.enumerated() {
                let row = Array(w.scalars[(Int(id) * 37)..<((Int(id) + 1) * 37)])
                let want: [Float]
                switch precision {
                case .f32: want = row
                case .bf16: want = row.map { Float(bf16($0)) }
                case .int8: let (q, s) = quantize(row[...]); want = q.map { Float($0) * s }
                }
                XCTAssertEqual(Array(rows.scalars[(i * 37)..<((i + 1) * 37)]), want, "\(precision) row \(id)")
            }
        }
    }

    func testStoredInt8ValuesPackAsFloatWeightsDo() {
        // Powers-of-two scales and a ±127 in every row make quantization exact, so both routes agree.
        var g = RandomGenerator(seed: 9)
        let (n, k) = (70, 23)
        var values = (0..<(n * k)).map { _ in Int8(Int(g.nextInt(below: 255)) - 127) }
        for j in 0..<n { values[j * k + j % k] = j % 2 == 0 ? 127 : -127 }
        let scales = (0..<n).map { Float(1 << ($0 % 5)) / 1024 }
        let weight = Tensor((0..<(n * k)).map { Float(values[$0]) * scales[$0 / k] }, shape: [n, k])
        let x = Tensor.uniform([4, k], low: -1, high: 1, generator: &g), bias = Tensor.uniform([n], low: -1, high: 1, generator: &g)
        let stored = PackedWeight(int8Values: values, scales: scales, outputs: n, inputs: k, bias: bias)
        XCTAssertEqual(stored.apply(x).scalars, PackedWeight(weight: weight, bias: bias, precision: .int8).apply(x).scalars)
    }

    func testZeroNonFiniteAndWideRows() {
        forEachPackedLevel { level in
            let w = Tensor([1, -2, 3, 0, 0, 0], shape: [2, 3]), b = Tensor([0.5, -0.25], shape: [2])
            let packed = PackedWeight(weight: w, bias: b, precision: .int8)
            // A zero weight row gives its bias; a zero input row gives the bias.
            XCTAssertEqual(packed.apply(Tensor([0, 0, 0], shape: [1, 3])).scalars, [0.5, -0.25], "level \(level)")
            XCTAssertEqual(packed.apply(Tensor([1, 1, 1], shape: [1, 3])).scalars[1], -0.25, "level \(level)")
            // NaN or ∞ in an input row makes that row's outputs NaN, never a plausible number.
            for bad in [Float.nan, .infinity] {
                let y = packed.apply(Tensor([1, bad, 2, 1, 1, 1], shape: [2, 3])).scalars
                XCTAssertTrue(y[0].isNaN && y[1].isNaN, "level \(level) \(bad)")
                XCTAssertEqual(y[2], 0.5 + 2, accuracy: 0.05, "level \(level): the other row is untouched")
            }
            let half = PackedWeight(weight: w, bias: b, precision: .bf16)
            XCTAssertTrue(half.apply(Tensor([1, .nan, 2], shape: [1, 3])).scalars[0].isNaN, "level \(level)")
        }
        // Layers wider than int8's exact range are held in bfloat16.
        let k = InferencePrecision.int8MaxInputs + 1
        let wide = PackedWeight(weight: Tensor(repeating: 0.5, shape: [1, k]), bias: nil, precision: .int8)
        XCTAssertEqual(wide.precision, .bf16)
        XCTAssertEqual(wide.apply(Tensor(repeating: 1, shape: [1, k])).scalars, [Float(k) / 2])
    }
}
