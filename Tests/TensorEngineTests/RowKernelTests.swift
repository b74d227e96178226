// Tests of the C row kernels (RowKernels.h) against straightforward Double references, on every
// SIMD level this CPU has: exp/log/erf/tanh accuracy sweeps, awkward row lengths, extreme inputs,
// and bit-identical results whatever the thread count.
import CKernels
import Foundation
import TensorEngine
import XCTest

final class RowKernelTests: XCTestCase {
    static let widths = [1, 3, 15, 16, 17, 31, 33, 100, 1000, 8000]

    override func tearDown() { _ = tk_row_kernels_set_level(-1) }

    func forEachLevel(_ body: (Int32) throws -> Void) rethrows { try forEachSIMDLevel(body) }

    func random(_ n: Int, _ low: Float, _ high: Float, seed: UInt64) -> [Float] {
        var g = RandomGenerator(seed: seed)
        return (0..<n).map { _ in low + (high - low) * g.nextFloat() }
    }

    func unary(_ op: Int, _ x: [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        tk_unary(Int32(op), x, &y, x.count)
        return y
    }

    /// Distance from `got` to the exact value in units of the last place of the rounded exact value.
    func ulps(_ got: Float, _ exact: Double) -> Double {
        let ref = Float(exact)
        if ref.isInfinite || got.isInfinite { return got == ref ? 0 : .infinity }
        return abs(Double(got) - exact) / Double(ref.ulp)
    }

    /// Checks |got − want| ≤ tol(i) element by element; equal infinities match, NaN never does.
    func assertClose(_ got: [Float], _ want: [Double], _ what: String, tol: (Int) -> Double) {
        XCTAssertEqual(got.count, want.count, what)
        for i in 0..<min(got.count, want.count) {
            if want[i].isInfinite && Double(got[i]) == want[i] { continue }
            let err = abs(Double(got[i]) - want[i])
            if !(err <= tol(i)) {
                XCTFail("\(what)[\(i)]: got \(got[i]), want \(want[i]) (error \(err), tolerance \(tol(i)))")
                return
            }
        }
    }

    // MARK: Vector math

    func testExpAccuracyAndSpecialValues() {
        let n = 400_000
        let xs = (0..<n).map { Float(-104.0 + 193.0 * Double($0) / Double(n - 1)) } + [0, -0.0, 1e-30, -1e-30, 88.72, 88.73, -87.3, -103.97]
        forEachLevel { level in
            let y = unary(Int(TK_EXP), xs)
            var worst = 0.0
            for (x, v) in zip(xs, y) { worst = max(worst, ulps(v, Foundation.exp(Double(x)))) }
            XCTAssertLessThanOrEqual(worst, 2, "exp max ulp error at level \(level)")
            let special = unary(Int(TK_EXP), [-.infinity, .infinity, .nan, 89, 1000, -104, -1000])
            XCTAssertEqual(special[0], 0); XCTAssertEqual(special[1], .infinity); XCTAssertTrue(special[2].isNaN)
            XCTAssertEqual(special[3], .infinity); XCTAssertEqual(special[4], .infinity)
            XCTAssertEqual(special[5], 0); XCTAssertEqual(special[6], 0)
        }
    }

    func testLogAccuracyAndSpecialValues() {
        // Spans subnormals through huge values: exponents −149 … 127.
        let xs = (0..<300_000).map { Float(Foundation.exp2(-149.0 + 276.5 * Double($0) / 300_000)) }
        forEachLevel { level in
            let y = unary(Int(TK_LOG), xs)
            var worst = 0.0
            for (x, v) in zip(xs, y) { worst = max(worst, ulps(v, Foundation.log(Double(x)))) }
            XCTAssertLessThanOrEqual(worst, 2, "log max ulp error at level \(level)")
            let special = unary(Int(TK_LOG), [0, -0.0, -1, .infinity, .nan, 1, -.infinity])
            XCTAssertEqual(special[0], -.infinity); XCTAssertEqual(special[1], -.infinity); XCTAssertTrue(special[2].isNaN)
            XCTAssertEqual(special[3], .infinity); XCTAssertTrue(special[4].isNaN); XCTAssertEqual(special[5], 0)
            XCTAssertTrue(special[6].isNaN)
        }
    }

    func testErfTanhSigmoidAccuracy() {
        let xs = (0..<200_000).map { Float(-12.0 + 24.0 * Double($0) / 200_000) } + [0, -0.0, 1e-20, 0.75, -0.75, 3.92, 50, -50]
        forEachLevel { level in
            let erf = unary(Int(TK_ERF), xs), tanh = unary(Int(TK_TANH), xs), sig = unary(Int(TK_SIGMOID), xs)
            var erfAbs = 0.0, erfVsErff = 0.0, tanhUlps = 0.0, sigUlps = 0.0
            for i in xs.indices {
                let x = Double(xs[i])
                erfAbs = max(erfAbs, abs(Double(erf[i]) - Foundation.erf(x)))
                erfVsErff = max(erfVsErff, abs(Double(erf[i]) - Double(Foundation.erff(xs[i]))))
                tanhUlps = max(tanhUlps, ulps(tanh[i], Foundation.tanh(x)))
                sigUlps = max(sigUlps, ulps(sig[i], 1 / (1 + Foundation.exp(-x))))
            }
            XCTAssertLessThanOrEqual(erfAbs, 5e-7, "erf abs error at level \(level)")
            XCTAssertLessThanOrEqual(erfVsErff, 1e-6, "erf vs erff at level \(level)")
            XCTAssertLessThanOrEqual(tanhUlps, 4, "tanh ulp error at level \(level)")
            XCTAssertLessThanOrEqual(sigUlps, 4, "sigmoid ulp error at level \(level)")
            let special = unary(Int(TK_ERF), [.infinity, -.infinity, .nan]) + unary(Int(TK_TANH), [.infinity, -.infinity, .nan])
            XCTAssertEqual(Array(special[0..<2]), [1, -1]); XCTAssertTrue(special[2].isNaN)
            XCTAssertEqual(Array(special[3..<5]), [1, -1]); XCTAssertTrue(special[5].isNaN)
        }
    }

    func testActivationsForwardAndBackward() {
        let xs = random(4099, -9, 9, seed: 1) + [0, 30, -30, 1e-3]
        let dy = random(xs.count, -1, 1, seed: 2)
        let s2 = 0.70710678118654752
        forEachLevel { level in
            let c = (2 / Double.pi).squareRoot()
            let references: [(Int, String, (Double) -> Double, (Double) -> Double)] = [
                (Int(TK_GELU), "gelu", { 0.5 * $0 * (1 + Foundation.erf($0 * s2)) },
                 { 0.5 * (1 + Foundation.erf($0 * s2)) + $0 * Foundation.exp(-0.5 * $0 * $0) / (2 * Double.pi).squareRoot() }),
                (Int(TK_GELU_TANH), "gelu_tanh", { 0.5 * $0 * (1 + Foundation.tanh(c * ($0 + 0.044715 * $0 * $0 * $0))) },
                 { x in
                     let t = Foundation.tanh(c * (x + 0.044715 * x * x * x))
                     return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
                 }),
                (Int(TK_SILU), "silu", { $0 / (1 + Foundation.exp(-$0)) },
                 { let s = 1 / (1 + Foundation.exp(-$0)); return s * (1 + $0 * (1 - s)) }),
            ]
            for (op, name, f, df) in references {
                let y = unary(op, xs)
                var dx = [Float](repeating: 0, count: xs.count)
                tk_unary_backward(Int32(op), xs, dy, &dx, xs.count)
                assertClose(y, xs.map { f(Double($0)) }, "\(name) level \(level)") { 1e-6 * max(1, abs(Double(xs[$0]))) }
                assertClose(dx, xs.indices.map { Double(dy[$0]) * df(Double(xs[$0])) }, "\(name)' level \(level)") {
                    2e-6 * max(1, abs(Double(xs[$0])))
                }
            }
        }
    }

    func testReluForwardAndBackwardAreExactAndPassNaN() {
        forEachLevel { level in
            for n in RowKernelTests.widths {
                var x = random(n, -2, 2, seed: UInt64(n) &+ 5)
                if n > 3 { x[0] = .nan; x[1] = 0; x[2] = -0.0 }
                let dy = random(n, -1, 1, seed: 9)
                let y = unary(Int(TK_RELU), x)
                var dx = [Float](repeating: .nan, count: n)
                tk_unary_backward(Int32(TK_RELU), x, dy, &dx, n)
                for i in 0..<n {
                    if x[i].isNaN { XCTAssertTrue(y[i].isNaN, "level \(level): relu(NaN) must stay NaN") }
                    else { XCTAssertEqual(y[i], x[i] > 0 ? x[i] : 0, "level \(level) n \(n) [\(i)]") }
                    XCTAssertEqual(dx[i], x[i] > 0 ? dy[i] : 0, "level \(level) n \(n) [\(i)]")
                }
            }
        }
    }

    func testAdamUpdateMatchesTheFormula() {
        forEachLevel { level in
            for n in RowKernelTests.widths {
                let g = random(n, -1, 1, seed: 21), w0 = random(n, -1, 1, seed: 22)
                let m0 = random(n, -0.1, 0.1, seed: 23), v0 = random(n, 0, 0.01, seed: 24)
                var (w, m, v) = (w0, m0, v0)
                let (b1, b2, eps, step, c2, decay): (Float, Float, Float, Float, Float, Float) = (0.9, 0.98, 1e-9, 0.01, 0.3, 0.999)
                tk_adam(&w, g, &m, &v, n, b1, b2, eps, step, c2, decay)
                // The kernel's constants are floats: 1 − b1 and 1 − b2 as float arithmetic gives them.
                let (c1m, c2m) = (Double(1 - b1), Double(1 - b2))
                // Float rounding: errors scale with the terms summed, not with a result that may cancel.
                for i in 0..<n {
                    let (mTerms, vTerms) = (abs(Double(b1) * Double(m0[i])) + abs(c1m * Double(g[i])),
                                            Double(b2) * Double(v0[i]) + c2m * Double(g[i]) * Double(g[i]))
                    let mi = Double(b1) * Double(m0[i]) + c1m * Double(g[i])
                    let vi = Double(b2) * Double(v0[i]) + c2m * Double(g[i]) * Double(g[i])
                    let update = Double(step) * mi / (vi.squareRoot() / Double(c2) + Double(eps))
                    let wi = Double(w0[i]) * Double(decay) - update
                    XCTAssertEqual(Double(m[i]), mi, accuracy: 4e-7 * mTerms + 1e-12, "level \(level) n \(n) m[\(i)]")
                    XCTAssertEqual(Double(v[i]), vi, accuracy: 4e-7 * vTerms + 1e-12, "level \(level) n \(n) v[\(i)]")
                    XCTAssertEqual(Double(w[i]), wi, accuracy: 1e-6 * (abs(Double(w0[i])) + abs(update)) + 1e-9,
                                   "level \(level) n \(n) w[\(i)]")
                }
            }
        }
    }

    func testBinaryOpsAreExact() {
        forEachLevel { level in
            for n in Self.widths {
                let a = random(n, -5, 5, seed: 1), b = random(n, 0.5, 5, seed: 2)
                let ops: [(Int, (Float, Float) -> Float)] = [(Int(TK_ADD), (+)), (Int(TK_SUB), (-)), (Int(TK_MUL), (*)), (Int(TK_DIV), (/))]
                for (op, f) in ops {
                    var c = [Float](repeating: 0, count: n)
                    tk_binary(Int32(op), a, b, &c, n)
                    XCTAssertEqual(c, zip(a, b).map(f), "binary op \(op) n=\(n) level \(level)")
                }
            }
        }
    }

    /// Each column summed from 0 over the rows in order, exactly as a plain loop sums it; columns
    /// past `cols` and the padding of each row are left alone.
    func testColumnSumsAreExactInRowOrder() {
        forEachLevel { level in
            for rows in [0, 1, 3, 17] {
                for cols in [1, 15, 16, 17, 63, 64, 65, 130] {
                    let stride = cols + 5
                    let x = random(max(1, rows * stride), -5, 5, seed: UInt64(rows * 1000 + cols))
                    var y = [Float](repeating: .nan, count: cols + 3)
                    tk_column_sums(x, rows, cols, stride, &y)
                    var want = [Float](repeating: 0, count: cols)
                    for r in 0..<rows { for c in 0..<cols { want[c] += x[r * stride + c] } }
                    XCTAssertEqual(Array(y[..<cols]), want, "rows \(rows) cols \(cols) level \(level)")
                    XCTAssertTrue(y[cols...].allSatisfy(\.isNaN), "wrote past cols: rows \(rows) cols \(cols) level \(level)")
                }
            }
        }
    }

    // MARK: Softmax

    /// Rows with ordinary values, large ± values, scattered −∞, and (last) an all −∞ row.
    func softmaxInput(_ n: Int) -> [Float] {
        var x = random(4 * n, -10, 10, seed: UInt64(n))
        for j in stride(from: 0, to: n, by: 7) { x[n + j] = (j / 7) % 2 == 0 ? 1e30 : -1e30 }
        for j in stride(from: 1, to: n, by: 3) { x[2 * n + j] = -.infinity }
        for j in 0..<n { x[3 * n + j] = -.infinity }
        return x
    }

    func testSoftmaxRows() {
        forEachLevel { level in
            for n in Self.widths {
                let x = softmaxInput(n), rows = x.count / n
                var y = [Float](repeating: 0, count: x.count), ly = y
                tk_softmax_rows(x, &y, rows, n, 0)
                tk_softmax_rows(x, &ly, rows, n, 1)
                var want = [Double](), lwant = [Double]()
                for r in 0..<rows {
                    let row = x[r * n ..< (r + 1) * n].map(Double.init)
                    let m = row.max()!
                    if m == -.infinity {
                        want += row.map { _ in 0 }; lwant += row
                        continue
                    }
                    let s = row.reduce(0) { $0 + Foundation.exp($1 - m) }
                    want += row.map { Foundation.exp($0 - m) / s }
                    lwant += row.map { $0 - m - Foundation.log(s) }
                }
                assertClose(y, want, "softmax n=\(n) level \(level)") { 4e-6 * want[$0] + 1e-37 }
                assertClose(ly, lwant, "logSoftmax n=\(n) level \(level)") { 1e-6 * max(1, abs(lwant[$0])) }
                XCTAssertEqual(Array(y[3 * n ..< 4 * n]), [Float](repeating: 0, count: n))
            }
        }
    }

    /// A NaN anywhere in a row makes its softmax, log-softmax and log-sum-exp NaN, all-NaN rows
    /// included (they are not mistaken for fully masked rows, whose softmax is zeros).
    func testNaNPropagatesThroughSoftmax() {
        forEachLevel { level in
            for n in [1, 15, 16, 17, 64, 65, 100] {
                for position in Set([0, n / 2, n - 1, -1]) {
                    var x = random(n, -3, 3, seed: UInt64(n))
                    if position < 0 { x = [Float](repeating: .nan, count: n) } else { x[position] = .nan }
                    var y = [Float](repeating: 0, count: n), ly = y, lse: [Float] = [0]
                    tk_softmax_rows(x, &y, 1, n, 0)
                    tk_softmax_rows(x, &ly, 1, n, 1)
                    tk_log_sum_exp_rows(x, &lse, 1, n)
                    let what = "n \(n) NaN at \(position) level \(level)"
                    XCTAssertTrue(y.allSatisfy(\.isNaN), "softmax " + what)
                    XCTAssertTrue(ly.allSatisfy(\.isNaN), "log-softmax " + what)
                    XCTAssertTrue(lse[0].isNaN, "log-sum-exp " + what)
                }
            }
        }
    }

    func testSoftmaxBackwardRows() {
        forEachLevel { level in
            for n in Self.widths {
                let x = random(3 * n, -5, 5, seed: UInt64(n)), dy = random(3 * n, -1, 1, seed: UInt64(n) + 99)
                var y = [Float](repeating: 0, count: x.count), ly = y, dx = y, ldx = y
                tk_softmax_rows(x, &y, 3, n, 0)
                tk_softmax_rows(x, &ly, 3, n, 1)
                tk_softmax_backward_rows(y, dy, &dx, 3, n, 0)
                tk_softmax_backward_rows(ly, dy, &ldx, 3, n, 1)
                var want = [Double](), lwant = [Double](), scale = [Double](), lscale = [Double]()
                for r in 0..<3 {
                    let ys = (r * n ..< (r + 1) * n).map { Double(y[$0]) }, gs = (r * n ..< (r + 1) * n).map { Double(dy[$0]) }
                    let dot = zip(ys, gs).reduce(0) { $0 + $1.0 * $1.1 }, absDot = zip(ys, gs).reduce(0) { $0 + abs($1.0 * $1.1) }
                    let sum = gs.reduce(0, +), absSum = gs.reduce(0) { $0 + abs($1) }
                    want += zip(ys, gs).map { $0 * ($1 - dot) }
                    scale += zip(ys, gs).map { $0 * (abs($1) + absDot) }
                    lwant += (0..<n).map { gs[$0] - Foundation.exp(Double(ly[r * n + $0])) * sum }
                    lscale += (0..<n).map { abs(gs[$0]) + Foundation.exp(Double(ly[r * n + $0])) * absSum }
                }
                assertClose(dx, want, "softmax' n=\(n) level \(level)") { 1e-5 * scale[$0] + 1e-30 }
                assertClose(ldx, lwant, "logSoftmax' n=\(n) level \(level)") { 1e-5 * lscale[$0] }
            }
        }
    }

    // MARK: Norms

    func testNormRowsForwardAndBackward() {
        forEachLevel { level in
            for n in Self.widths {
                let rows = 5
                // An offset of 1000 checks the two-pass variance; γ, β and dy are arbitrary.
                let x = random(rows * n, -3, 3, seed: UInt64(n)).enumerated().map { $0.offset < n ? $0.element + 1000 : $0.element }
                let gamma = random(n, 0.5, 1.5, seed: 7), beta = random(n, -1, 1, seed: 8), dy = random(rows * n, -1, 1, seed: 9)
                for rms in [false, true] {
                    var y = [Float](repeating: 0, count: x.count), dx = y
                    var mean = [Float](repeating: 0, count: rows), rstd = mean
                    var dg = [Float](repeating: 0, count: n), db = dg
                    mean.withUnsafeMutableBufferPointer { pm in
                        db.withUnsafeMutableBufferPointer { pdb in
                            beta.withUnsafeBufferPointer { pb in
                                let m = rms ? nil : pm.baseAddress
                                tk_norm_rows(x, gamma, rms ? nil : pb.baseAddress, &y, m, &rstd, rows, n, 1e-5)
                                tk_norm_backward_rows(x, gamma, m, rstd, dy, &dx, &dg, rms ? nil : pdb.baseAddress, rows, n)
                            }
                        }
                    }
                    var wy = [Double](), wdx = [Double](), dxScale = [Double](), wdg = [Double](repeating: 0, count: n), wdb = wdg
                    for r in 0..<rows {
                        let xs = x[r * n ..< (r + 1) * n].map(Double.init), gs = dy[r * n ..< (r + 1) * n].map(Double.init)
                        let mu = rms ? 0 : xs.reduce(0, +) / Double(n)
                        let rs = 1 / (xs.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(n) + 1e-5).squareRoot()
                        let xh = xs.map { ($0 - mu) * rs }
                        let g = (0..<n).map { gs[$0] * Double(gamma[$0]) }
                        wy += (0..<n).map { xh[$0] * Double(gamma[$0]) + (rms ? 0 : Double(beta[$0])) }
                        let mg = rms ? 0 : g.reduce(0, +) / Double(n)
                        let mgx = (0..<n).reduce(0) { $0 + g[$1] * xh[$1] } / Double(n)
                        wdx += (0..<n).map { rs * (g[$0] - mg - xh[$0] * mgx) }
                        dxScale += (0..<n).map { rs * (abs(g[$0]) + abs(mg) + abs(xh[$0] * mgx)) }
                        for j in 0..<n { wdg[j] += gs[j] * xh[j]; wdb[j] += gs[j] }
                    }
                    let what = "\(rms ? "rms" : "layer")Norm n=\(n) level \(level)"
                    assertClose(y, wy, what) { _ in 2e-4 }
                    // Row 0 sits at 1000 ± 3, so x − μ carries ulp(1000)-sized errors: hence 1e-4.
                    assertClose(dx, wdx, what + " dx") { 1e-4 * dxScale[$0] + 1e-7 }
                    assertClose(dg, wdg, what + " dγ") { _ in 2e-4 * Double(rows) }
                    if !rms { assertClose(db, wdb, what + " dβ") { _ in 1e-5 * Double(rows) } }
                }
            }
        }
    }

    // MARK: Cross-entropy

    func testCrossEntropyRows() {
        forEachLevel { level in
            for v in Self.widths {
                let rows = 4
                var x = random(rows * v, -8, 8, seed: UInt64(v))
                for j in 0..<v { x[v + j] *= 1000 }   // large logits: one dominates
                let targets: [Int32] = [0, Int32(v - 1), -100, Int32(v / 2)]
                let dy: Float = 1.5
                for eps: Float in [0, 0.1] {
                    var lse = [Float](repeating: 0, count: rows), loss = lse, dx = [Float](repeating: 0, count: x.count)
                    tk_cross_entropy_rows(x, targets, &lse, &loss, rows, v, eps, -100, 1)
                    tk_cross_entropy_backward_rows(x, targets, lse, &dx, rows, v, eps, -100, 1, dy / 3)
                    var wlse = [Double](), wloss = [Double](), wdx = [Double]()
                    for r in 0..<rows {
                        let row = x[r * v ..< (r + 1) * v].map(Double.init), m = row.max()!
                        let l = m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) })
                        wlse.append(l)
                        let ignored = targets[r] == -100
                        wloss.append(ignored ? 0 : l - Double(1 - eps) * row[Int(targets[r])] - Double(eps) / Double(v) * row.reduce(0, +))
                        wdx += (0..<v).map { j in
                            ignored ? 0 : (Foundation.exp(row[j] - l) - Double(eps) / Double(v) - (j == Int(targets[r]) ? Double(1 - eps) : 0)) * Double(dy / 3)
                        }
                    }
                    let what = "crossEntropy V=\(v) ε=\(eps) level \(level)"
                    assertClose(lse, wlse, what + " lse") { 1e-6 * max(1, abs(wlse[$0])) }
                    assertClose(loss, wloss, what + " loss") { _ in 1e-6 * 8000 }
                    // lse is stored as a Float, so dx carries its rounding: relative error ≈ ulp(lse).
                    assertClose(dx, wdx, what + " dx") { 1e-6 + abs(wdx[$0]) * (2 * Double(Float(wlse[$0 / v]).ulp) + 1e-6) }
                }
            }
        }
    }

    // MARK: Dropout and thread-count independence

    func testDropoutMatchesTheGeneratorStream() {
        let n = 1037, seed: UInt64 = 12345, first: UInt64 = 77
        let x = random(n, -1, 1, seed: 3)
        forEachLevel { level in
            var y = [Float](repeating: 0, count: n), mask = y
            tk_dropout(x, &y, &mask, n, seed, first, 0.7, 1 / 0.7)
            for i in 0..<n {
                let u = RandomGenerator.unitFloat(RandomGenerator.bits(seed: seed, counter: first + UInt64(i)))
                XCTAssertEqual(mask[i], u < 0.7 ? 1 / 0.7 : 0, "dropout mask[\(i)] level \(level)")
                XCTAssertEqual(y[i], x[i] * mask[i])
            }
        }
    }

    func testResultsDoNotDependOnThreadCount() {
        var g = RandomGenerator(seed: 5)
        let x = Tensor.randn([1024, 1000], std: 3, generator: &g), dy = Tensor.randn([1024, 1000], generator: &g)
        let gamma = Tensor.uniform([1000], low: 0.5, high: 1.5, generator: &g), beta = Tensor.randn([1000], generator: &g)
        let targets = Tensor(ints: (0..<1024).map { Int32($0 * 7 % 1000) }, shape: [1024])
        func outputs() -> [[Float]] {
            let y = Kernels.softmax(x, axis: -1), ly = Kernels.softmax(x, axis: 1, log: true)
            let (n, stats) = Kernels.layerNorm(x, gamma: gamma, beta: beta, eps: 1e-5)
            let nb = Kernels.layerNormBackward(x: x, gamma: gamma, hasBeta: true, stats: stats, dy: dy)
            let (r, rstats) = Kernels.layerNorm(x, gamma: gamma, beta: nil, eps: 1e-6, rms: true)
            let rb = Kernels.layerNormBackward(x: x, gamma: gamma, hasBeta: false, stats: rstats, dy: dy)
            let ce = Kernels.crossEntropy(logits: x, targets: targets, labelSmoothing: 0.1, ignoreIndex: -100)
            let ceb = Kernels.crossEntropyBackward(logits: x, targets: targets, result: ce, labelSmoothing: 0.1, ignoreIndex: -100, dLoss: 1)
            var dg = RandomGenerator(seed: 11)
            let (d, mask) = Kernels.dropout(x, p: 0.1, generator: &dg)
            return [y, Kernels.softmaxBackward(y: y, dy: dy, axis: -1), ly, Kernels.softmaxBackward(y: ly, dy: dy, axis: -1, log: true),
                    n, nb.dx, nb.dgamma!, nb.dbeta!, r, rb.dx, rb.dgamma!, ce.logSumExp, ceb, d, mask,
                    Kernels.unary(x, .gelu), Kernels.unaryBackward(.gelu, x: x, y: x, dy: dy), Kernels.unary(x, .exp),
                    Kernels.binary(x, dy, .add)].map(\.scalars)
                + [[ce.loss]]
        }
        let saved = ThreadPool.shared.threadCount
        defer { ThreadPool.shared.threadCount = saved }
        ThreadPool.shared.threadCount = 1
        let one = outputs()
        ThreadPool.shared.threadCount = 2
        let two = outputs()
        for i in one.indices { XCTAssertTrue(one[i] == two[i], "output \(i) differs between 1 and 2 threads") }
    }
}
