// Experiment 1, the analytic part: the paper (§3.5) chose sines and cosines "because we
// hypothesized it would allow the model to easily learn to attend by relative positions, since for
// any fixed offset k, PE(pos+k) can be represented as a linear function of PE(pos)". Measured on
// the table the model adds: PE(p)·PE(p+k) depends on k alone and is symmetric in ±k; every value
// lies in [−1, 1]; and a linear map fitted by least squares on positions 0..<N takes PE(p) to
// PE(p+k), also on positions N..<2N it never saw.
import Foundation
import Training

public struct SinusoidalPositionsExperiment: Experiment {
    public let name = "sinusoidal-positions"
    public let claim = """
        Sinusoidal positions: PE(p)·PE(p+k) depends only on k and is symmetric in ±k; the encoding is bounded; \
        a fixed linear map takes PE(p) to PE(p+k).
        """

    public init() {}

    public func run(_ context: ExperimentContext) throws -> ExperimentResult {
        let d = context.quick ? 64 : 512, n = context.quick ? 128 : 512
        let table = PositionFigure.sinusoidal(dimension: d, length: 2 * n)
        let pe = (0..<(2 * n)).map { p in (0..<d).map { Double(table.data[p * d + $0]) } }
        func dot(_ p: Int, _ q: Int) -> Double { zip(pe[p], pe[q]).reduce(0) { $0 + $1.0 * $1.1 } }

        // PE(p)·PE(p+k) over every p with both in 0..<n: its spread over p for each k; and, from one p,
        // PE(p)·PE(p+k) − PE(p)·PE(p−k) (looking ahead and back by k gives the same product).
        let offsets = Array(-(n / 2)...(n / 2))
        var spread = 0.0, asymmetry = 0.0
        var byOffset: [Double] = []
        for k in offsets {
            let values = (max(0, -k)..<min(n, n - k)).map { dot($0, $0 + k) }
            spread = max(spread, (values.max() ?? 0) - (values.min() ?? 0))
            byOffset.append(values.reduce(0, +) / Double(values.count))
        }
        for k in 1...(n / 2) { for p in k..<(n - k) { asymmetry = max(asymmetry, abs(dot(p, p + k) - dot(p, p - k))) } }
        let largest = table.scalars.map { abs(Double($0)) }.max() ?? 0
        let norms = (0..<n).map { dot($0, $0).squareRoot() }

        // The linear map PE(p) → PE(p+k), fitted on p in 0..<n−k, tested on p in n..<2n−k.
        let shifts = context.quick ? [1, 4, 16] : [1, 4, 16, 64]
        var fitError: [Double] = [], heldOutError: [Double] = [], rotationError: [Double] = []
        for k in shifts {
            // The map the paper means: a rotation by k·ω_i of each (sin, cos) pair, exact for every p.
            var rotation = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
            for j in stride(from: 0, to: d - 1, by: 2) {
                let angle = Double(k) / pow(10000, Double(j) / Double(d))
                (rotation[j][j], rotation[j + 1][j], rotation[j][j + 1], rotation[j + 1][j + 1]) = (cos(angle), sin(angle), -sin(angle), cos(angle))
            }
            rotationError.append(LeastSquares.relativeError(rotation, inputs: Array(pe[0..<(2 * n - k)]), targets: Array(pe[k..<(2 * n)])))
            let map = try LeastSquares.fit(inputs: Array(pe[0..<(n - k)]), targets: Array(pe[k..<n]))
            fitError.append(LeastSquares.relativeError(map, inputs: Array(pe[0..<(n - k)]), targets: Array(pe[k..<n])))
            heldOutError.append(LeastSquares.relativeError(map, inputs: Array(pe[n..<(2 * n - k)]), targets: Array(pe[(n + k)..<(2 * n)])))
        }

        let relativeSpread = spread / (Double(d) / 2)
        // The claim is that such a map exists: the rotation, checked on every position, and a fit that reaches it on the
        // positions it sees. How far a fit from positions 0..<n carries to unseen ones is reported, not part of the claim.
        let held = relativeSpread < 1e-4 && asymmetry / (Double(d) / 2) < 1e-4 && largest <= 1
            && (rotationError.max() ?? 1) < 1e-4 && (fitError.max() ?? 1) < 1e-3
        let figures = [
            // The figure at a width and length that stay readable (and small): the measurements above use d and n.
            try context.figure("sinusoidal-positions.svg", try PositionFigure.svg(kind: .sinusoidal, dimension: min(d, 128), length: 64)),
            try context.figure("sinusoidal-linear-map.svg", SVGPlot.chart(
                title: "Linear map PE(p) → PE(p+k), d_model \(d): relative error", xLabel: "shift k", yLabel: "relative error",
                series: [PlotSeries(name: "rotation by k·ω, positions 0..<\(2 * n)", color: "#2ca02c", points: zip(shifts, rotationError).map { (Double($0), $1) }),
                         PlotSeries(name: "fitted positions 0..<\(n)", color: "#1f77b4", points: zip(shifts, fitError).map { (Double($0), $1) }),
                         PlotSeries(name: "unseen positions \(n)..<\(2 * n)", color: "#d62728", points: zip(shifts, heldOutError).map { (Double($0), $1) })])),
        ]
        let conclusion = String(format: """
            d_model %d, positions 0..<%d: PE(p)·PE(p+k) varies over p by at most %.2g (%.2g of its value d/2 at k = 0), \
            PE(p)·PE(p+k) − PE(p)·PE(p−k) at most %.2g; |PE| ≤ %.4f and ‖PE(p)‖ = √(d/2) = %.3f. The rotation of each (sin, cos) pair by k·ω_i \
            maps PE(p) to PE(p+k) with relative error ≤ %.2g; a least-squares map fitted on positions 0..<%d has error \
            ≤ %.2g there but %.2g on positions %d..<%d: the slow dimensions barely turn within %d positions, so the data do \
            not pin the map down. %@
            """, d, n, spread, relativeSpread, asymmetry, largest, norms[0], rotationError.max() ?? 0, n, fitError.max() ?? 0,
            heldOutError.max() ?? 0, n, 2 * n, n,
            held ? "The claim holds (float32 rounding aside)." : "The claim does not hold as measured.")
        return ExperimentResult(conclusion: conclusion, held: held, numbers: [
            "d_model": .number(Double(d)), "positions": .number(Double(n)),
            "dot_spread_over_p": .number(spread), "dot_asymmetry": .number(asymmetry), "max_abs_value": .number(largest),
            "norm": .number(norms[0]), "offsets": .integers(offsets), "dot_by_offset": .numbers(byOffset),
            "linear_map_shifts": .integers(shifts), "linear_map_fit_error": .numbers(fitError),
            "linear_map_unseen_error": .numbers(heldOutError), "rotation_error": .numbers(rotationError),
        ], figures: figures)
    }
}

/// Least squares Y ≈ X·M for row vectors, by the normal equations (XᵀX + λI)·M = XᵀY in double
/// precision, with a ridge λ of 10⁻¹⁰·trace/d that only matters where XᵀX is singular.
enum LeastSquares {
    static func fit(inputs x: [[Double]], targets y: [[Double]]) throws -> [[Double]] {
        guard let d = x.first?.count, x.count == y.count, let e = y.first?.count else { throw ExperimentError("least squares: no rows") }
        var a = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        var b = [[Double]](repeating: [Double](repeating: 0, count: e), count: d)
        for (row, target) in zip(x, y) {
            for i in 0..<d {
                for j in 0..<d { a[i][j] += row[i] * row[j] }
                for j in 0..<e { b[i][j] += row[i] * target[j] }
            }
        }
        let ridge = 1e-10 * (0..<d).reduce(0) { $0 + a[$1][$1] } / Double(d)
        for i in 0..<d { a[i][i] += ridge }
        // Cholesky: a = L·Lᵀ, then two triangular solves per column of b.
        var l = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        for i in 0..<d {
            for j in 0...i {
                var s = a[i][j]
                for k in 0..<j { s -= l[i][k] * l[j][k] }
                if i == j {
                    guard s > 0 else { throw ExperimentError("least squares: the normal matrix is not positive definite") }
                    l[i][i] = s.squareRoot()
                } else {
                    l[i][j] = s / l[j][j]
                }
            }
        }
        var m = [[Double]](repeating: [Double](repeating: 0, count: e), count: d)
        for c in 0..<e {
            var z = [Double](repeating: 0, count: d)
            for i in 0..<d { z[i] = (b[i][c] - (0..<i).reduce(0) { $0 + l[i][$1] * z[$1] }) / l[i][i] }
            for i in stride(from: d - 1, through: 0, by: -1) {
                m[i][c] = (z[i] - ((i + 1)..<d).reduce(0) { $0 + l[$1][i] * m[$1][c] }) / l[i][i]
            }
        }
        return m
    }

    /// ‖Y − X·M‖ / ‖Y‖ (Frobenius).
    static func relativeError(_ m: [[Double]], inputs x: [[Double]], targets y: [[Double]]) -> Double {
        var error = 0.0, total = 0.0
        for (row, target) in zip(x, y) {
            for c in target.indices {
                var p = 0.0
                for i in row.indices { p += row[i] * m[i][c] }
                error += (p - target[c]) * (p - target[c])
                total += target[c] * target[c]
            }
        }
        return (error / max(total, 1e-300)).squareRoot()
    }
}
