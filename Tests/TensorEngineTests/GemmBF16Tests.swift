// The mixed-precision SGEMM (MatmulPrecision.bf16): exactly the sums vdpbf16ps makes of the
// bfloat16-rounded operands, the same bits on every kernel level and thread count, within bfloat16
// tolerance of the float product, on transposes, odd sizes, strides, several depth blocks, bias,
// alpha, beta, one row and one column.
import CKernels
import XCTest
import TensorEngine

final class GemmBF16Tests: XCTestCase {
    static func bf16(_ x: Float) -> Float { Float(bitPattern: UInt32(tk_bf16_from_float(x)) << 16) }

    struct Product {
        var transA = false, transB = false
        var m: Int, n: Int, k: Int
        var alpha: Float = 1, beta: Float = 0
        var pad = 0
        var bias = false

        var lda: Int { (transA ? m : k) + pad }
        var ldb: Int { (transB ? k : n) + pad }
        var ldc: Int { n + pad }
        var a: [Float] { GemmTests.matrix(rows: transA ? k : m, cols: transA ? m : k, ld: lda, seed: 21) }
        var b: [Float] { GemmTests.matrix(rows: transB ? n : k, cols: transB ? k : n, ld: ldb, seed: 22) }
        var c0: [Float] { GemmTests.matrix(rows: m, cols: n, ld: ldc, seed: 23) }
        var biasRow: [Float] { GemmTests.matrix(rows: 1, cols: n, ld: n, seed: 24) }

        func a(_ i: Int, _ p: Int, _ a: [Float]) -> Float { transA ? a[p * lda + i] : a[i * lda + p] }
        func b(_ p: Int, _ j: Int, _ b: [Float]) -> Float { transB ? b[j * ldb + p] : b[p * ldb + j] }

        /// C through Gemm.sgemm in bf16 at the current level and thread count.
        func run() -> [Float] {
            var c = beta == 0 ? [Float](repeating: .nan, count: c0.count) : c0
            let (a, b, bias) = (self.a, self.b, self.biasRow)
            Gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                       beta: beta, c: &c, ldc: ldc, bias: self.bias ? bias : nil, precision: .bf16)
            return c
        }
    }

    /// Every level this CPU has, vdpbf16ps included where it has AVX512_BF16 (even where the
    /// default level is lower because vdpbf16ps is slower than FMAs there).
    func forEachLevel(_ body: (Int) -> Void) {
        let saved = Gemm.bf16Level
        defer { Gemm.bf16Level = saved }
        let highest = Int(tk_sgemm_bf16_kernels_for_level(3).level)
        for level in (0...highest).reversed() {
            Gemm.bf16Level = level
            XCTAssertEqual(Gemm.bf16Level, level)
            body(level)
        }
    }

    /// vdpbf16ps's sums, emulated: per pair of steps, step 2s+1's product then step 2s's added to a
    /// float32 sum (each product of two bfloat16 is exact in float32, each addition rounds).
    func testEqualsPairwiseSumsOfRoundedOperands() {
        let products = [Product(m: 7, n: 13, k: 33), Product(transA: true, m: 33, n: 45, k: 64, pad: 3),
                        Product(transB: true, m: 29, n: 70, k: 511), Product(transA: true, transB: true, m: 15, n: 33, k: 9),
                        Product(m: 1, n: 40, k: 31), Product(m: 40, n: 1, k: 30), Product(m: 3, n: 5, k: 1)]
        forEachLevel { level in
            for t in products {
                let (a, b) = (t.a, t.b)
                let c = t.run()
                for i in 0..<t.m {
                    for j in 0..<t.n {
                        var sum: Float = 0
                        for s in stride(from: 0, to: t.k, by: 2) {
                            if s + 1 < t.k { sum += Self.bf16(t.a(i, s + 1, a)) * Self.bf16(t.b(s + 1, j, b)) } else { sum += 0 }
                            sum += Self.bf16(t.a(i, s, a)) * Self.bf16(t.b(s, j, b))
                        }
                        if c[i * t.ldc + j].bitPattern != sum.bitPattern {
                            XCTFail("level \(level) \(t) C[\(i),\(j)] = \(c[i * t.ldc + j]), want \(sum)")
                            return
                        }
                    }
                }
            }
        }
    }

    /// Within bfloat16 tolerance of the float64 product of the unrounded operands (each operand off
    /// by at most 2⁻⁹ of itself), and padding untouched.
    func testWithinBFloat16ToleranceOfTheFloatProduct() {
        var products: [Product] = []
        for (m, n, k) in [(1, 1, 1), (13, 7, 1), (33, 100, 17), (100, 33, 257), (1, 70, 9), (70, 1, 9), (130, 70, 1100),
                          (700, 45, 1100)] {
            for (transA, transB) in [(false, false), (false, true), (true, false), (true, true)] {
                products.append(Product(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, beta: -2, pad: 2,
                                        bias: (m + k) % 2 == 0))
            }
        }
        forEachLevel { level in
            for t in products {
                let (a, b, c0, bias) = (t.a, t.b, t.c0, t.biasRow)
                let c = t.run()
                for i in 0..<t.m {
                    for j in 0..<t.n {
                        var sum = 0.0, magnitude = 0.0
                        for p in 0..<t.k {
                            let x = Double(t.a(i, p, a)) * Double(t.b(p, j, b))
                            sum += x
                            magnitude += abs(x)
                        }
                        let want = Double(t.alpha) * sum + Double(t.beta) * Double(c0[i * t.ldc + j]) + (t.bias ? Double(bias[j]) : 0)
                        let tolerance = 2.0 / 256 * abs(Double(t.alpha)) * magnitude + 1e-5 * (abs(Double(t.beta)) + 1)
                        let got = Double(c[i * t.ldc + j])
                        if !(abs(got - want) <= tolerance) {
                            XCTFail("level \(level) \(t) C[\(i),\(j)] = \(got), want \(want) ± \(tolerance)")
                            return
                        }
                    }
                    for j in t.n..<t.ldc where i < t.m - 1 {
                        XCTAssertEqual(c[i * t.ldc + j].bitPattern, c0[i * t.ldc + j].bitPattern, "padding written")
                    }
                }
            }
        }
    }

    /// Every level and both thread counts give the same bits, on the packed orders with several
    /// depth blocks (odd last block), the resident-B order and batched products.
    func testSameBitsOnEveryLevelAndThreadCount() {
        let pool = ThreadPool.shared
        let saved = pool.threadCount
        defer { pool.threadCount = saved }
        let products = [Product(m: 300, n: 200, k: 1101, bias: true), Product(transA: true, m: 200, n: 300, k: 515, beta: 0.5),
                        Product(transB: true, m: 700, n: 45, k: 1100, alpha: 2), Product(m: 1, n: 300, k: 77),
                        Product(transA: true, transB: true, m: 257, n: 129, k: 300, pad: 1)]
        for t in products {
            var first: [Float]?
            forEachLevel { level in
                for threads in [1, 2] {
                    pool.threadCount = threads
                    let c = t.run()
                    if let first {
                        XCTAssert(c.map(\.bitPattern) == first.map(\.bitPattern), "\(t): level \(level), \(threads) threads differ")
                    } else {
                        first = c
                    }
                }
            }
        }
        // Batched: one GEMM per task on two threads, the same bits as in turn on one.
        let (batch, m, n, k) = (6, 40, 48, 130)
        let a = GemmTests.matrix(rows: batch * m, cols: k, ld: k, seed: 5), b = GemmTests.matrix(rows: batch * n, cols: k, ld: k, seed: 6)
        var results: [[Float]] = []
        for threads in [1, 2] {
            pool.threadCount = threads
            var c = [Float](repeating: .nan, count: batch * m * n)
            Gemm.sgemmBatched(batch: batch, transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, strideA: m * k,
                              b: b, ldb: k, strideB: n * k, beta: 0, c: &c, ldc: n, strideC: m * n, precision: .bf16)
            results.append(c)
        }
        XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern))
    }

    /// Float32 products are not rounded: the default precision gives the float32 kernels' bits.
    func testFloat32IsUnchanged() {
        let t = Product(m: 33, n: 45, k: 70)
        var f32 = [Float](repeating: 0, count: t.c0.count), bf = f32
        let (a, b) = (t.a, t.b)
        Gemm.sgemm(transA: false, transB: false, m: t.m, n: t.n, k: t.k, alpha: 1, a: a, lda: t.lda, b: b, ldb: t.ldb,
                   beta: 0, c: &f32, ldc: t.ldc)
        Gemm.sgemm(transA: false, transB: false, m: t.m, n: t.n, k: t.k, alpha: 1, a: a, lda: t.lda, b: b, ldb: t.ldb,
                   beta: 0, c: &bf, ldc: t.ldc, precision: .bf16)
        var reference = [Float](repeating: 0, count: t.c0.count)
        for i in 0..<t.m { for j in 0..<t.n { var s: Float = 0; for p in 0..<t.k { s += a[i * t.lda + p] * b[p * t.ldb + j] }; reference[i * t.ldc + j] = s } }
        XCTAssertNotEqual(f32, bf)
        for (x, y) in zip(f32, reference) { XCTAssertEqual(x, y, accuracy: 1e-4) }
    }
}
