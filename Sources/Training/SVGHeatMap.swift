// Heat maps as standalone SVG, in the style of the loss plot (`SVGPlot`): a title, axis titles,
// row and column labels that never overlap (every k-th label when cells are small), and a colour
// scale. One map large, or a grid of small maps (layers × heads) sharing one scale.
import Foundation

/// A matrix to draw: `rows` × `columns` values, row-major, with optional labels per row and column.
public struct HeatMap: Sendable {
    public var values: [Float]
    public var rows: Int
    public var columns: Int
    public var rowLabels: [String]
    public var columnLabels: [String]

    public init(values: [Float], rows: Int, columns: Int, rowLabels: [String] = [], columnLabels: [String] = []) {
        precondition(values.count == rows * columns, "HeatMap: \(values.count) values for \(rows) × \(columns)")
        self.values = values
        self.rows = rows
        self.columns = columns
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
    }

    /// The smallest and largest finite value (0...1 when there is none).
    public var range: (low: Double, high: Double) {
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return (0, 1) }
        return (Double(low), Double(high))
    }
}

/// How values map to colours: white to dark blue over [low, high] (weights, probabilities), or
/// blue through white to red, symmetric around 0 (signed values).
public enum ColorScale: Sendable {
    case sequential(low: Double, high: Double)
    case diverging(limit: Double)

    /// Sequential over the maps' range, or diverging when they hold negative values.
    public static func fitting(_ maps: [HeatMap]) -> ColorScale {
        let low = maps.map { $0.range.low }.min() ?? 0, high = maps.map { $0.range.high }.max() ?? 1
        if low < 0 { return .diverging(limit: max(abs(low), abs(high), 1e-12)) }
        return .sequential(low: min(0, low), high: max(high, 1e-12))
    }

    var bounds: (low: Double, high: Double) {
        switch self {
        case .sequential(let low, let high): return (low, high > low ? high : low + 1)
        case .diverging(let limit): return (-limit, limit)
        }
    }

    private var stops: [(Double, Double, Double)] {
        switch self {
        case .sequential: return [(255, 255, 255), (198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107)]
        case .diverging: return [(33, 102, 172), (146, 197, 222), (247, 247, 247), (244, 165, 130), (178, 24, 43)]
        }
    }

    /// The colour of `value` as #rrggbb (values outside the scale take its end colours).
    public func color(_ value: Double) -> String {
        let (low, high) = bounds
        guard value.isFinite else { return "#000000" }
        let u = min(1, max(0, (value - low) / (high - low))) * Double(stops.count - 1)
        let i = min(Int(u), stops.count - 2), f = u - Double(i)
        let (a, b) = (stops[i], stops[i + 1])
        func mix(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * f).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// (offset 0...1, colour) stops for an SVG gradient from `low` to `high`.
    var gradientStops: [(Double, String)] {
        let n = stops.count - 1
        return (0...n).map { k in (Double(k) / Double(n), color(bounds.low + (bounds.high - bounds.low) * Double(k) / Double(n))) }
    }
}

public enum SVGHeatMap {
    static let labelFont = 11.0
    static let charWidth = 6.4
    static let longestLabel = 14

    /// One map large: rows are the y axis (`yLabel`), columns the x axis (`xLabel`).
    public static func single(_ map: HeatMap, title: String, xLabel: String, yLabel: String, scale: ColorScale? = nil,
                              maxSize: Double = 640) -> String {
        grid([[map]], title: title, rowTitles: [], columnTitles: [], xLabel: xLabel, yLabel: yLabel, scale: scale,
             panelSize: maxSize)
    }

    /// Maps in rows and columns (e.g. layers × heads) sharing one colour scale; `rowTitles` and
    /// `columnTitles` name them. Token labels go left of the first column and below the last row.
    public static func grid(_ maps: [[HeatMap]], title: String, rowTitles: [String], columnTitles: [String],
                            xLabel: String, yLabel: String, scale: ColorScale? = nil, panelSize: Double? = nil) -> String {
        let all = maps.flatMap { $0 }
        let scale = scale ?? ColorScale.fitting(all)
        let gridColumns = maps.map(\.count).max() ?? 0
        let maxRows = all.map(\.rows).max() ?? 1, maxColumns = all.map(\.columns).max() ?? 1
        let panel = panelSize ?? max(72, min(180, 1000 / Double(max(gridColumns, 1))))
        // One cell size for every panel; rectangular maps (positions × dimensions) get rectangular panels.
        let cell = max(0.5, min(36, panel / Double(max(maxRows, maxColumns, 1))))
        let (panelW, panelH) = (cell * Double(maxColumns), cell * Double(maxRows))
        let stride = labelStride(cell)
        func labelWidth(_ labels: [String]) -> Double { Double(labels.map { shortened($0).count }.max() ?? 0) * charWidth + 8 }
        let rowLabelWidth = labelWidth(maps.compactMap(\.first).flatMap(\.rowLabels))
        let columnLabelHeight = labelWidth(maps.last?.flatMap(\.columnLabels) ?? [])
        let gap = gridColumns > 1 || maps.count > 1 ? 14.0 : 0
        let rowTitleWidth = rowTitles.isEmpty ? 0.0 : 62
        let columnTitleHeight = columnTitles.isEmpty ? 0.0 : 18
        let left = 34 + rowTitleWidth + rowLabelWidth, top = 44 + columnTitleHeight
        let bodyW = Double(gridColumns) * panelW + Double(max(gridColumns - 1, 0)) * gap
        let bodyH = Double(maps.count) * panelH + Double(max(maps.count - 1, 0)) * gap
        let width = max(left + bodyW + 110, 360, titleWidth(title)), height = top + bodyH + columnLabelHeight + 44
        var svg = header(width: width, height: height, title: title)
        svg += "<g shape-rendering=\"crispEdges\">\n"
        for (i, line) in maps.enumerated() {
            for (j, map) in line.enumerated() {
                let x = left + Double(j) * (panelW + gap), y = top + Double(i) * (panelH + gap)
                svg += cells(map, x: x, y: y, cell: cell, scale: scale)
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell * Double(map.columns)))\" height=\"\(f(cell * Double(map.rows)))\" fill=\"none\" stroke=\"#888\"/>\n"
            }
        }
        svg += "</g>\n"
        for (i, line) in maps.enumerated() {
            let y = top + Double(i) * (panelH + gap)
            if let first = line.first {
                for (r, label) in first.rowLabels.enumerated() where r % stride == 0 {
                    svg += "<text x=\"\(f(left - 4))\" y=\"\(f(y + (Double(r) + 0.5) * cell + 4))\" text-anchor=\"end\" font-size=\"\(f(labelFont))\">\(escape(shortened(label)))</text>\n"
                }
            }
            if i < rowTitles.count {
                svg += "<text x=\"\(f(34 + rowTitleWidth - 6))\" y=\"\(f(y + panelH / 2 + 4))\" text-anchor=\"end\">\(escape(rowTitles[i]))</text>\n"
            }
        }
        for j in 0..<gridColumns {
            let x = left + Double(j) * (panelW + gap)
            if j < columnTitles.count {
                svg += "<text x=\"\(f(x + panelW / 2))\" y=\"\(f(top - 6))\" text-anchor=\"middle\">\(escape(columnTitles[j]))</text>\n"
            }
            guard let last = maps.last, j < last.count else { continue }
            let y = top + Double(maps.count - 1) * (panelH + gap) + cell * Double(last[j].rows)
            for (c, label) in last[j].columnLabels.enumerated() where c % stride == 0 {
                let cx = x + (Double(c) + 0.5) * cell + 4, cy = y + 4
                svg += "<text x=\"\(f(cx))\" y=\"\(f(cy))\" text-anchor=\"end\" font-size=\"\(f(labelFont))\" transform=\"rotate(-90 \(f(cx)) \(f(cy)))\">\(escape(shortened(label)))</text>\n"
            }
        }
        svg += "<text x=\"\(f(left + bodyW / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        let midY = top + bodyH / 2
        svg += "<text x=\"16\" y=\"\(f(midY))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(f(midY)))\">\(escape(yLabel))</text>\n"
        svg += colorBar(scale, x: left + bodyW + 24, y: top, height: min(max(bodyH, 120), 320))
        return svg + "</svg>\n"
    }

    /// Figures (each a whole SVG document, e.g. from `single` or `SVGPlot.chart`) side by side in
    /// `columns` columns under one title.
    public static func combine(_ figures: [String], title: String, columns: Int) -> String {
        let sizes = figures.map(size)
        let columns = max(1, min(columns, figures.count))
        let rowCount = (figures.count + columns - 1) / columns
        let columnWidths = (0..<columns).map { c in stride(from: c, to: figures.count, by: columns).map { sizes[$0].width }.max() ?? 0 }
        let rowHeights = (0..<rowCount).map { r in (r * columns..<min(figures.count, (r + 1) * columns)).map { sizes[$0].height }.max() ?? 0 }
        let width = max(columnWidths.reduce(0, +), titleWidth(title)), height = rowHeights.reduce(0, +) + 36
        var svg = header(width: width, height: height, title: title)
        for (k, figure) in figures.enumerated() {
            let (r, c) = (k / columns, k % columns)
            let x = columnWidths[..<c].reduce(0, +), y = 36 + rowHeights[..<r].reduce(0, +)
            let body = figure.split(separator: "\n", omittingEmptySubsequences: false).drop { $0.hasPrefix("<?xml") }.joined(separator: "\n")
            svg += body.replacingOccurrences(of: "<svg ", with: "<svg x=\"\(f(x))\" y=\"\(f(y))\" ", options: [.anchored]) + "\n"
        }
        return svg + "</svg>\n"
    }

    // MARK: Parts

    static func header(width: Double, height: Double, title: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width.rounded(.up)))" height="\(Int(height.rounded(.up)))" viewBox="0 0 \(Int(width.rounded(.up))) \(Int(height.rounded(.up)))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="22" text-anchor="middle" font-size="15">\(escape(title))</text>

        """
    }

    /// Room for a 15-point title.
    static func titleWidth(_ title: String) -> Double { Double(title.count) * 8.2 + 40 }

    /// The width and height of an SVG document from its root element.
    static func size(_ svg: String) -> (width: Double, height: Double) {
        func attribute(_ name: String) -> Double {
            guard let r = svg.range(of: " \(name)=\"") else { return 0 }
            return Double(svg[r.upperBound...].prefix { $0 != "\"" }) ?? 0
        }
        return (attribute("width"), attribute("height"))
    }

    /// Every k-th label, so that labels at least a line apart never overlap.
    static func labelStride(_ cell: Double) -> Int { max(1, Int(((labelFont + 2) / cell).rounded(.up))) }

    static func shortened(_ label: String) -> String {
        label.count <= longestLabel ? label : String(label.prefix(longestLabel - 1)) + "…"
    }

    /// One rect per cell, in a group scaled to the cell size.
    static func cells(_ map: HeatMap, x: Double, y: Double, cell: Double, scale: ColorScale) -> String {
        var out = "<g transform=\"translate(\(f(x)) \(f(y))) scale(\(fine(cell)))\">\n"
        out.reserveCapacity(map.values.count * 48)
        for r in 0..<map.rows {
            for c in 0..<map.columns {
                out += "<rect x=\"\(c)\" y=\"\(r)\" width=\"1\" height=\"1\" fill=\"\(scale.color(Double(map.values[r * map.columns + c])))\"/>\n"
            }
        }
        return out + "</g>\n"
    }

    static func colorBar(_ scale: ColorScale, x: Double, y: Double, height: Double) -> String {
        let (low, high) = scale.bounds
        // Ids by kind: figures combined into one document may each carry a bar, with the same stops.
        let id = if case .sequential = scale { "scale-sequential" } else { "scale-diverging" }
        var svg = "<defs><linearGradient id=\"\(id)\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
        for (offset, color) in scale.gradientStops { svg += "<stop offset=\"\(fine(offset))\" stop-color=\"\(color)\"/>" }
        svg += "</linearGradient></defs>\n"
        svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"14\" height=\"\(f(height))\" fill=\"url(#\(id))\" stroke=\"#888\"/>\n"
        for t in SVGPlot.ticks(low: low, high: high, count: 5) {
            let ty = y + (1 - (t - low) / (high - low)) * height
            svg += "<line x1=\"\(f(x + 14))\" y1=\"\(f(ty))\" x2=\"\(f(x + 18))\" y2=\"\(f(ty))\" stroke=\"black\"/>\n"
            svg += "<text x=\"\(f(x + 21))\" y=\"\(f(ty + 4))\">\(tickLabel(t))</text>\n"
        }
        return svg
    }

    static func tickLabel(_ v: Double) -> String {
        let a = abs(v)
        if a != 0 && (a >= 1e5 || a < 1e-3) { return String(format: "%.1e", v) }
        return String(format: a >= 100 || v == v.rounded() ? "%.0f" : "%.3g", v)
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
    static func fine(_ v: Double) -> String { String(format: "%.4g", v) }
    static func escape(_ s: String) -> String { SVGPlot.escape(s) }
}
