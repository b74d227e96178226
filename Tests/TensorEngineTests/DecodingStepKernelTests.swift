// Tests of the decoding-step kernels (tk_dot_rows, tk_weighted_sum_rows, tk_log_sum_exp_rows,
// tk_top_k) against plain references, on every SIMD level this CPU has: odd widths and strides,
// ties, −∞ entries, fewer candidates than k.
import CKernels
import Foundation
import TensorEngine
import XCTest

final class DecodingStepKernelTests: XCTestCase {
    override func tearDown() { _ = tk_row_kernels_set_level(-1) }

    func forEachLevel(_ body: (Int32) throws -> Void) rethrows { try forEachSIMDLevel(body) }

    func random(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var g = RandomGenerator(seed: seed)
        return (0..<n).map { _ in (g.nextFloat() * 2 - 1) * scale }
    }

    func testDotRowsAndWeightedSumsMatchPlainLoops() {
        forEachLevel { level in
            for (rows, count, width, stride) in [(1, 1, 1, 1), (2, 5, 17, 20), (3, 33, 32, 64), (1, 70, 64, 64), (4, 9, 48, 50)] {
                let q = random(rows * width, seed: 1), keys = random(count * stride, seed: 2)
                var scores = [Float](repeating: .nan, count: rows * count)
                tk_dot_rows(q, rows, keys, count, stride, width, &scores)
                for r in 0..<rows {
                    for j in 0..<count {
                        let exact = (0..<width).reduce(0.0) { $0 + Double(q[r * width + $1]) * Double(keys[j * stride + $1]) }
                        XCTAssertEqual(Double(scores[r * count + j]), exact, accuracy: 1e-5, "level \(level) dot \(rows)×\(count)×\(width)")
                    }
                }
                var out = [Float](repeating: .nan, count: rows * width)
                tk_weighted_sum_rows(scores, rows, keys, count, stride, width, &out)
                for r in 0..<rows {
                    for c in 0..<width {
                        let exact = (0..<count).reduce(0.0) { $0 + Double(scores[r * count + $1]) * Double(keys[$1 * stride + c]) }
                        XCTAssertEqual(Double(out[r * width + c]), exact, accuracy: 1e-4, "level \(level) sum \(rows)×\(count)×\(width)")
                    }
                }
            }
        }
    }

    func testLogSumExpMatchesDoubleReference() {
        forEachLevel { level in
            for n in [1, 7, 16, 100, 8000] {
                var z = random(n, seed: UInt64(n), scale: 30)
                if n > 10 { z[3] = -.infinity }
                let m = Double(z.max()!)
                let exact = m + Foundation.log(z.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) })
                XCTAssertEqual(Double(Kernels.logSumExp(z, n)), exact, accuracy: 1e-5 * max(1, abs(exact)), "level \(level) n \(n)")
            }
            let allMasked = [Float](repeating: -.infinity, count: 20)
            XCTAssertEqual(Kernels.logSumExp(allMasked, 20), -.infinity)
            XCTAssertEqual(Kernels.logSumExp([1e30, 1e30], 2), 1e30 + Float(Foundation.log(2.0)))
        }
    }

    /// The reference: a stable sort by value, best first, lower index first among equals.
    func referenceTop(_ k: Int, _ z: [Float]) -> [(id: Int, value: Float)] {
        Array(z.enumerated().sorted { ($0.element, -$0.offset) > ($1.element, -$1.offset) }.prefix(k).map { ($0.offset, $0.element) })
    }

    func testTopKIsBestFirstWithTiesToTheLowerId() {
        forEachLevel { level in
            for (n, k, seed) in [(8000, 8, UInt64(1)), (100, 1, 2), (33, 10, 3), (5, 8, 4), (17, 17, 5), (1000, 64, 6)] {
                // Values on a coarse grid so there are many ties, some −∞ entries.
                var z = random(n, seed: seed, scale: 8).map { ($0 * 4).rounded() / 4 }
                for j in Swift.stride(from: 2, to: n, by: 7) { z[j] = -.infinity }
                let got = Kernels.top(k, z, n), want = referenceTop(k, z)
                XCTAssertEqual(got.map(\.id), want.map(\.id), "level \(level) n \(n) k \(k)")
                XCTAssertEqual(got.map(\.value), want.map(\.value), "level \(level) n \(n) k \(k)")
            }
            // All equal: the first k ids, in order; a late maximum is still found.
            XCTAssertEqual(Kernels.top(3, [Float](repeating: 2, count: 50), 50).map(\.id), [0, 1, 2])
            var late = [Float](repeating: 0, count: 1000)
            late[999] = 1
            late[500] = 1
            XCTAssertEqual(Kernels.top(2, late, 1000).map(\.id), [500, 999])
            XCTAssertEqual(Kernels.top(0, late, 1000).count, 0)
        }
    }
}
