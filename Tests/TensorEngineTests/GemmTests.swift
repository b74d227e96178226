// SGEMM against a double-precision reference: transposes, odd sizes, strides, alpha/beta, batches,
// every kernel level, and bit-identity between 1 and 2 threads.
import XCTest
import TensorEngine

final class GemmTests: XCTestCase {
    /// A deterministic pseudo-random matrix stored with leading dimension `ld`, padding set to NaN
    /// so reading outside the matrix shows up in the result.
    static func matrix(rows: Int, cols: Int, ld: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var out = [Float](repeating: .nan, count: max(1, (rows - 1) * ld + cols))
        for r in 0..<rows {
            for s in 0..<cols {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                out[r * ld + s] = Float(Int(state >> 40) % 2001 - 1000) / 1000
            }
        }
        return out
    }

    struct Case {
        var transA = false, transB = false
        var m: Int, n: Int, k: Int
        var alpha: Float = 1, beta: Float = 0
        var padA = 0, padB = 0, padC = 0
        var bias = false
    }

    /// Runs one case through Gemm.sgemm and checks every element of C (and that padding is untouched).
    func check(_ t: Case, file: StaticString = #filePath, line: UInt = #line) {
        let (aRows, aCols) = t.transA ? (t.k, t.m) : (t.m, t.k)
        let (bRows, bCols) = t.transB ? (t.n, t.k) : (t.k, t.n)
        let lda = aCols + t.padA, ldb = bCols + t.padB, ldc = t.n + t.padC
        let a = Self.matrix(rows: aRows, cols: aCols, ld: lda, seed: 1)
        let b = Self.matrix(rows: bRows, cols: bCols, ld: ldb, seed: 2)
        var c = Self.matrix(rows: t.m, cols: t.n, ld: ldc, seed: 3)
        if t.beta == 0 { for i in 0..<t.m { for j in 0..<t.n { c[i * ldc + j] = .nan } } }
        let c0 = c
        let bias = t.bias ? Self.matrix(rows: 1, cols: t.n, ld: t.n, seed: 4) : nil
        (bias ?? []).withUnsafeBufferPointer { biasBuffer in
            Gemm.sgemm(transA: t.transA, transB: t.transB, m: t.m, n: t.n, k: t.k, alpha: t.alpha,
                       a: a, lda: lda, b: b, ldb: ldb, beta: t.beta, c: &c, ldc: ldc,
                       bias: t.bias ? biasBuffer.baseAddress : nil)
        }
        for i in 0..<t.m {
            for j in 0..<t.n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<t.k {
                    let x = Double(t.transA ? a[p * lda + i] : a[i * lda + p])
                    let y = Double(t.transB ? b[j * ldb + p] : b[p * ldb + j])
                    sum += x * y
                    magnitude += abs(x * y)
                }
                var want = Double(t.alpha) * sum
                if t.beta != 0 { want += Double(t.beta) * Double(c0[i * ldc + j]) }
                if let bias { want += Double(bias[j]) }
                let got = Double(c[i * ldc + j])
                let tolerance = 1e-5 * (abs(Double(t.alpha)) * magnitude + abs(Double(t.beta)) + 1)
                if !(abs(got - want) <= tolerance) {
                    XCTFail("\(t) C[\(i),\(j)] = \(got), want \(want)", file: file, line: line)
                    return
                }
            }
            for j in t.n..<ldc where i < t.m - 1 {
                XCTAssert(c[i * ldc + j].bitPattern == c0[i * ldc + j].bitPattern, "padding written", file: file, line: line)
            }
        }
    }

    func forEachLevel(_ body: () -> Void) {
        let best = Gemm.simdLevel
        defer { Gemm.simdLevel = best }
        for level in (0...best).reversed() {
            Gemm.simdLevel = level
            body()
        }
    }

    func testAllTransposesAndOddSizes() {
        let sizes = [(1, 1, 1), (7, 13, 33), (13, 7, 1), (33, 100, 17), (100, 33, 257), (1, 70, 9), (70, 1, 9),
                     (15, 33, 300), (29, 65, 64), (257, 31, 20)]
        forEachLevel {
            for (m, n, k) in sizes {
                for transA in [false, true] {
                    for transB in [false, true] {
                        check(Case(transA: transA, transB: transB, m: m, n: n, k: k))
                    }
                }
            }
        }
    }

    /// Deep, narrow products take the resident-B loop order (k > kc, m ≥ 2·mc·threads).
    func testDeepNarrowProducts() {
        forEachLevel {
            for (transA, transB) in [(false, false), (true, true), (false, true)] {
                check(Case(transA: transA, transB: transB, m: 700, n: 45, k: 1100, alpha: 0.5, beta: 2, padA: 3, padC: 5))
            }
        }
    }

    func testLeadingDimensionsAlphaBeta() {
        forEachLevel {
            for (m, n, k) in [(17, 45, 23), (1, 40, 30), (40, 1, 30), (130, 70, 270)] {
                for transA in [false, true] {
                    for transB in [false, true] {
                        for (alpha, beta) in [(Float(1), Float(1)), (0.5, -2), (-1.5, 0), (2, 0.25)] {
                            check(Case(transA: transA, transB: transB, m: m, n: n, k: k,
                                       alpha: alpha, beta: beta, padA: 3, padB: 5, padC: 2))
                        }
                    }
                }
            }
        }
    }

    /// The bias row is added to every row of C on every path: GEMV (m or n of 1), no k, the packed
    /// orders with one and several k blocks, edge tiles, alpha and beta.
    func testBiasOnEveryRow() {
        forEachLevel {
            for (m, n, k) in [(1, 40, 30), (40, 1, 30), (5, 7, 0), (17, 45, 23), (130, 70, 1100), (700, 45, 1100)] {
                for (transA, transB) in [(false, false), (false, true), (true, false)] {
                    for (alpha, beta) in [(Float(1), Float(0)), (0.5, -2)] {
                        check(Case(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
                                   padA: 3, padB: 1, padC: 2, bias: true))
                    }
                }
            }
        }
    }

    /// With alpha = 1 and beta = 0 the kernels' bias equals, bit for bit, copying the bias into C
    /// and accumulating onto it (beta = 1), the way linear layers added it before.
    func testBiasMatchesAccumulatingOntoACopiedBias() {
        forEachLevel {
            for (m, n, k) in [(33, 100, 17), (130, 70, 1100), (1, 40, 30)] {
                let a = Self.matrix(rows: m, cols: k, ld: k, seed: 1), b = Self.matrix(rows: n, cols: k, ld: k, seed: 2)
                let bias = Self.matrix(rows: 1, cols: n, ld: n, seed: 4)
                var fused = [Float](repeating: .nan, count: m * n)
                var copied = (0..<m).flatMap { _ in bias }
                Gemm.sgemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k,
                           beta: 0, c: &fused, ldc: n, bias: bias)
                Gemm.sgemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k,
                           beta: 1, c: &copied, ldc: n)
                XCTAssertEqual(fused.map(\.bitPattern), copied.map(\.bitPattern), "\(m)×\(n)×\(k) level \(Gemm.simdLevel)")
            }
        }
    }

    /// C of 16 MB or more is written with non-temporal stores on its last pass when its rows are
    /// 64-byte aligned: the result must equal, bit for bit, the one written with ordinary stores
    /// (C one float off alignment), with 1 and 2 threads, and the double-precision reference.
    func testStreamedOutputMatchesOrdinaryStores() {
        let pool = ThreadPool.shared
        let saved = pool.threadCount
        defer { pool.threadCount = saved }
        let m = 2048, n = 2048
        let raw = UnsafeMutableRawPointer.allocate(byteCount: (m * n + 16) * 4, alignment: 64)
        defer { raw.deallocate() }
        let base = raw.bindMemory(to: Float.self, capacity: m * n + 16)
        // k = 600 runs two depth blocks: only the second, with beta = 1 on the first's sums, streams.
        // A bias is added on the first pass: the streamed one for k = 40, not for k = 600.
        let bias = Self.matrix(rows: 1, cols: n, ld: n, seed: 13)
        for (k, beta, withBias) in [(40, Float(0), false), (600, Float(0.5), false), (40, 0, true), (600, 0.5, true)] {
            let a = Self.matrix(rows: m, cols: k, ld: k, seed: 10), b = Self.matrix(rows: k, cols: n, ld: n, seed: 11)
            let c0 = Self.matrix(rows: m, cols: n, ld: n, seed: 12)
            var results: [[Float]] = []
            for (offset, threads) in [(0, 1), (0, 2), (1, 2)] {
                pool.threadCount = threads
                let c = base + offset
                c.update(from: c0, count: m * n)
                Gemm.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n,
                           beta: beta, c: c, ldc: n, bias: withBias ? bias : nil)
                results.append(Array(UnsafeBufferPointer(start: c, count: m * n)))
            }
            XCTAssert(results[0] == results[1], "k = \(k): streamed C differs between 1 and 2 threads")
            XCTAssert(results[1] == results[2], "k = \(k): streamed C differs from ordinary stores")
            for (i, j) in [(0, 0), (13, 31), (1023, 77), (2047, 2047), (5, 2000)] {
                var want = Double(beta) * Double(c0[i * n + j]) + (withBias ? Double(bias[j]) : 0)
                for p in 0..<k { want += Double(a[i * k + p]) * Double(b[p * n + j]) }
                XCTAssertEqual(Double(results[0][i * n + j]), want, accuracy: 1e-4, "k = \(k): C[\(i),\(j)]")
            }
        }
    }

    func testDegenerateShapes() {
        // k = 0 and alpha = 0 leave beta·C (and beta = 0 clears NaN); m or n = 0 touch nothing.
        var c: [Float] = [.nan, 2, 3, 4]
        let a: [Float] = [.nan, .nan, .nan, .nan]
        Gemm.sgemm(transA: false, transB: false, m: 2, n: 2, k: 0, alpha: 1, a: a, lda: 1, b: a, ldb: 2,
                   beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [0, 0, 0, 0])
        c = [1, 2, 3, 4]
        Gemm.sgemm(transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 0, a: a, lda: 2, b: a, ldb: 2,
                   beta: 2, c: &c, ldc: 2)
        XCTAssertEqual(c, [2, 4, 6, 8])
        Gemm.sgemm(transA: false, transB: false, m: 0, n: 2, k: 2, alpha: 1, a: a, lda: 2, b: a, ldb: 2,
                   beta: 0, c: &c, ldc: 2)
        Gemm.sgemm(transA: true, transB: true, m: 2, n: 0, k: 2, alpha: 1, a: a, lda: 2, b: a, ldb: 2,
                   beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [2, 4, 6, 8])
        check(Case(m: 5, n: 6, k: 0, alpha: 1, beta: 0.5))
    }

    func testBatchedWithSharedOperands() {
        let batch = 5, m = 9, n = 11, k = 7
        for (shareA, shareB) in [(false, false), (true, false), (false, true)] {
            for transB in [false, true] {
                let a = Self.matrix(rows: shareA ? m : batch * m, cols: k, ld: k, seed: 4)
                let b = Self.matrix(rows: shareB ? k : batch * k, cols: n, ld: n, seed: 5)
                var c = [Float](repeating: .nan, count: batch * m * n)
                // transB reads b as n×k blocks: the same floats, a different matrix.
                let ldb = transB ? k : n
                Gemm.sgemmBatched(batch: batch, transA: false, transB: transB, m: m, n: n, k: k, alpha: 1,
                                  a: a, lda: k, strideA: shareA ? 0 : m * k, b: b, ldb: ldb,
                                  strideB: shareB ? 0 : k * n, beta: 0, c: &c, ldc: n, strideC: m * n)
                for e in 0..<batch {
                    var one = [Float](repeating: .nan, count: m * n)
                    let ae = shareA ? 0 : e * m * k, be = shareB ? 0 : e * k * n
                    Array(a[ae...]).withUnsafeBufferPointer { pa in
                        Array(b[be...]).withUnsafeBufferPointer { pb in
                            Gemm.sgemm(transA: false, transB: transB, m: m, n: n, k: k, alpha: 1,
                                       a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: ldb,
                                       beta: 0, c: &one, ldc: n)
                        }
                    }
                    XCTAssertEqual(Array(c[e * m * n..<(e + 1) * m * n]), one, "entry \(e)")
                }
            }
        }
        // Attention-sized batches take the batch-parallel path; check one entry against the reference.
        check(Case(transB: true, m: 32, n: 32, k: 32))
    }

    /// The same GEMM run with 1 and with 2 threads, compared bit for bit.
    func testThreadCountDoesNotChangeBits() {
        let pool = ThreadPool.shared
        let saved = pool.threadCount
        defer { pool.threadCount = saved }
        for (transA, transB, m, n, k) in [(false, false, 300, 200, 600), (true, true, 130, 1000, 300),
                                          (false, true, 1, 3000, 700), (true, false, 3000, 1, 700),
                                          (false, false, 40, 2000, 100),
                                          // Deep and narrow: B packed whole, C row blocks through every kc block.
                                          (false, false, 700, 50, 1100), (true, true, 690, 70, 600)] {
            let a = Self.matrix(rows: transA ? k : m, cols: transA ? m : k, ld: transA ? m : k, seed: 6)
            let b = Self.matrix(rows: transB ? n : k, cols: transB ? k : n, ld: transB ? k : n, seed: 7)
            var results: [[Float]] = []
            for threads in [1, 2] {
                pool.threadCount = threads
                var c = Self.matrix(rows: m, cols: n, ld: n, seed: 8)
                Gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75,
                           a: a, lda: transA ? m : k, b: b, ldb: transB ? k : n, beta: 0.5, c: &c, ldc: n)
                results.append(c)
            }
            XCTAssert(results[0] == results[1], "\(m)×\(n)×\(k) differs between 1 and 2 threads")
        }
        let batch = 64, s = 48
        let a = Self.matrix(rows: batch * s, cols: s, ld: s, seed: 9)
        var results: [[Float]] = []
        for threads in [1, 2] {
            pool.threadCount = threads
            var c = [Float](repeating: 0, count: batch * s * s)
            Gemm.sgemmBatched(batch: batch, transA: false, transB: true, m: s, n: s, k: s, alpha: 1,
                              a: a, lda: s, strideA: s * s, b: a, ldb: s, strideB: s * s,
                              beta: 0, c: &c, ldc: s, strideC: s * s)
            results.append(c)
        }
        XCTAssert(results[0] == results[1], "batched result differs between 1 and 2 threads")
    }
}
