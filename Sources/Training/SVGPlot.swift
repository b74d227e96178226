// Line charts as standalone SVG: training and validation loss against the update step,
// with axes, "nice" tick values (1, 2 or 5 × 10^k), axis labels and a legend.
import Foundation

public struct PlotSeries: Sendable {
    public var name: String
    public var color: String
    public var points: [(x: Double, y: Double)]
    public init(name: String, color: String, points: [(x: Double, y: Double)]) {
        self.name = name; self.color = color; self.points = points
    }
}

public enum SVGPlot {
    /// The loss curves of a metrics log: "train" records' loss and "valid" records' loss.
    public static func lossCurves(_ records: [MetricsRecord], title: String) -> String {
        func series(_ kind: String) -> [(x: Double, y: Double)] {
            records.filter { $0.kind == kind }.compactMap { r in
                guard let loss = r.values["loss"], loss.isFinite else { return nil }
                return (Double(r.step), loss)
            }
        }
        return chart(title: title, xLabel: "step", yLabel: "loss",
                     series: [PlotSeries(name: "training", color: "#1f77b4", points: series("train")),
                              PlotSeries(name: "validation", color: "#d62728", points: series("valid"))])
    }

    /// Tick values covering [low, high], about `count` of them, at a 1/2/5 × 10^k spacing.
    public static func ticks(low: Double, high: Double, count: Int = 6) -> [Double] {
        guard high > low, low.isFinite, high.isFinite else { return [low] }
        let raw = (high - low) / Double(max(count - 1, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var out: [Double] = []
        var v = ceil(low / step) * step
        while v <= high + step * 1e-9 { out.append(abs(v) < step * 1e-9 ? 0 : v); v += step }
        return out
    }

    public static func chart(title: String, xLabel: String, yLabel: String, series: [PlotSeries],
                             width: Double = 800, height: Double = 480) -> String {
        let (left, right, top, bottom) = (70.0, 20.0, 40.0, 50.0)
        let all = series.flatMap(\.points)
        var (x0, x1) = (all.map(\.x).min() ?? 0, all.map(\.x).max() ?? 1)
        var (y0, y1) = (all.map(\.y).min() ?? 0, all.map(\.y).max() ?? 1)
        if x1 <= x0 { x1 = x0 + 1 }
        if y1 <= y0 { y0 -= 0.5; y1 += 0.5 }
        let pad = (y1 - y0) * 0.05
        (y0, y1) = (y0 - pad, y1 + pad)
        if x0 > 0 && x0 < (x1 - x0) * 0.1 { x0 = 0 }
        let plotW = width - left - right, plotH = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotW }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func label(_ v: Double) -> String {
            let a = abs(v)
            if a != 0 && (a >= 1e5 || a < 1e-3) { return String(format: "%.1e", v) }
            return String(format: a >= 100 || v == v.rounded() ? "%.0f" : "%.3g", v)
        }
        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(width / 2))" y="22" text-anchor="middle" font-size="15">\(escape(title))</text>

            """
        for t in ticks(low: y0, high: y1) {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(py(t)))\" stroke=\"#e0e0e0\"/>\n"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(label(t))</text>\n"
        }
        for t in ticks(low: x0, high: x1) {
            svg += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top + plotH))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + plotH + 5))\" stroke=\"black\"/>\n"
            svg += "<text x=\"\(f(px(t)))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(label(t))</text>\n"
        }
        svg += "<path d=\"M\(f(left)),\(f(top))V\(f(top + plotH))H\(f(left + plotW))\" fill=\"none\" stroke=\"black\"/>\n"
        svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text x=\"16\" y=\"\(f(top + plotH / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(f(top + plotH / 2)))\">\(escape(yLabel))</text>\n"
        // The legend's right edge at the plot's, wide enough for the longest name.
        let legend = left + plotW - 35 - Double(series.map(\.name.count).max() ?? 0) * 6.6
        // A series without a name (a second set of points of a named one) has no legend entry.
        var entries = 0
        for s in series where !s.points.isEmpty {
            let d = s.points.enumerated().map { (i, p) in (i == 0 ? "M" : "L") + "\(f(px(p.x))),\(f(py(p.y)))" }.joined()
            svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.5\"/>\n"
            if s.points.count == 1, let p = s.points.first {
                svg += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3\" fill=\"\(s.color)\"/>\n"
            }
            guard !s.name.isEmpty else { continue }
            let ly = top + 10 + Double(entries) * 18
            entries += 1
            svg += "<line x1=\"\(f(legend))\" y1=\"\(f(ly))\" x2=\"\(f(legend + 25))\" y2=\"\(f(ly))\" stroke=\"\(s.color)\" stroke-width=\"2\"/>\n"
            svg += "<text x=\"\(f(legend + 30))\" y=\"\(f(ly + 4))\">\(escape(s.name))</text>\n"
        }
        return svg + "</svg>\n"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
