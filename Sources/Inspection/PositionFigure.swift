// Positional encodings as figures (the paper, §3.5): the encoding as a heat map (position ×
// dimension), the matrix of dot products PE(p)·PE(q), and the dot product against the offset q − p
// from a few reference positions (the curves coincide when it depends on the offset alone). RoPE is
// shown through a vector rotated to each position; ALiBi, which encodes nothing, through its bias
// −m_h·|p − q| per head. A model with learned positions shows its table beside the sinusoidal one.
import Foundation
import Generation
import Models
import Training

public enum PositionFigure {
    /// The sinusoidal table [length, d] as the model adds it.
    public static func sinusoidal(dimension: Int, length: Int, layout: SinusoidalLayout = .interleaved) -> Tensor {
        SinusoidalPositionalEncoding(dimension: dimension, initialLength: length, layout: layout).encodings(length: length)
    }

    /// RoPE's rotation at each position, seen on one vector: u = (1, …, 1, 0, …, 0)/√(D/2) rotated to
    /// positions 0..<length, [length, D] (its halves are cos(p·θ_i) and sin(p·θ_i), over √(D/2)), so that
    /// R_p·u · R_q·u = Σ_i cos((p − q)·θ_i) / (D/2).
    public static func rotary(dimension: Int, length: Int, base: Float = 10000) -> Tensor {
        let half = dimension / 2
        let u = Tensor((0..<(length * dimension)).map { $0 % dimension < half ? 1 / Float(half).squareRoot() : 0 }, shape: [length, dimension])
        return Kernels.rotary(u, offset: 0, base: base)
    }

    /// PE·PEᵀ: [length, length].
    public static func dotProducts(_ table: Tensor) -> Tensor { Kernels.matmul(table, table, transposeB: true) }

    /// Dot products from `reference` positions against every position, by offset q − p.
    public static func offsetCurves(_ dots: Tensor, references: [Int]) -> [PlotSeries] {
        let n = dots.shape[0]
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
        return references.enumerated().map { k, p in
            PlotSeries(name: "p = \(p)", color: colors[k % colors.count],
                       points: (0..<n).map { q in (Double(q - p), Double(dots.data[p * n + q])) })
        }
    }

    /// Three panels for a table [length, d]: the table, its dot products, and those by offset.
    static func panels(_ table: Tensor, name: String) -> [String] {
        let (n, d) = (table.shape[0], table.shape[1])
        let numbers = (0..<max(n, d)).map(String.init)
        let encoding = HeatMap(values: table.scalars, rows: n, columns: d, rowLabels: Array(numbers.prefix(n)), columnLabels: Array(numbers.prefix(d)))
        let dots = dotProducts(table)
        let gram = HeatMap(values: dots.scalars, rows: n, columns: n, rowLabels: Array(numbers.prefix(n)), columnLabels: Array(numbers.prefix(n)))
        let limit = Double(table.scalars.map { abs($0) }.max() ?? 1)
        return [
            SVGHeatMap.single(encoding, title: "\(name): encoding", xLabel: "dimension", yLabel: "position",
                              scale: .diverging(limit: max(limit, 1e-6)), maxSize: 360),
            SVGHeatMap.single(gram, title: "\(name): PE(p)·PE(q)", xLabel: "position q", yLabel: "position p", maxSize: 360),
            SVGPlot.chart(title: "\(name): PE(p)·PE(q) against the offset", xLabel: "offset q − p", yLabel: "PE(p)·PE(q)",
                          series: offsetCurves(dots, references: [n / 4, n / 2, 3 * n / 4]), width: 520, height: 400),
        ]
    }

    /// The figure for an encoding kind with d_model `dimension` (RoPE: the head dimension), `heads`
    /// (ALiBi's slopes), over positions 0..<length.
    public static func svg(kind: PositionalEncodingKind, dimension: Int, length: Int, heads: Int = 8, ropeBase: Float = 10000,
                           layout: SinusoidalLayout = .interleaved) throws -> String {
        switch kind {
        case .sinusoidal:
            return SVGHeatMap.combine(panels(sinusoidal(dimension: dimension, length: length, layout: layout), name: "sinusoidal"),
                                      title: "Sinusoidal positional encoding, d_model \(dimension), \(length) positions", columns: 3)
        case .rope:
            guard dimension % 2 == 0 else { throw AttentionMapsError("RoPE needs an even dimension (got \(dimension))") }
            return SVGHeatMap.combine(panels(rotary(dimension: dimension, length: length, base: ropeBase), name: "RoPE"),
                                      title: "Rotary positions (RoPE), head dimension \(dimension), base \(Int(ropeBase)), \(length) positions",
                                      columns: 3)
        case .alibi:
            return alibi(heads: heads, length: length)
        case .learned:
            throw AttentionMapsError("learned positions come from a model: pass --model DIR")
        }
    }

    /// ALiBi's bias per head and against the offset.
    static func alibi(heads: Int, length: Int) -> String {
        let bias = ALiBi.bias(heads: heads, queryLength: length, keyLength: length, queryOffset: 0)
        let slopes = ALiBi.slopes(heads: heads)
        let shown = Array(0..<min(heads, 8))
        let maps = shown.map { h in
            HeatMap(values: Array(bias.scalars[(h * length * length)..<((h + 1) * length * length)]), rows: length, columns: length)
        }
        let grid = SVGHeatMap.grid([maps], title: "ALiBi bias −m_h·|p − q| per head", rowTitles: [],
                                   columnTitles: shown.map { String(format: "head %d, m = %.3g", $0, slopes[$0]) },
                                   xLabel: "key position q", yLabel: "query position p", scale: .diverging(limit: Double(slopes[0]) * Double(length)))
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"]
        let series = shown.map { h in
            PlotSeries(name: "head \(h)", color: colors[h % colors.count],
                       points: (0..<length).map { q in (Double(q - length / 2), Double(-slopes[h] * Float(abs(q - length / 2)))) })
        }
        let curve = SVGPlot.chart(title: "ALiBi bias against the offset", xLabel: "offset q − p", yLabel: "bias", series: series,
                                  width: 520, height: 400)
        return SVGHeatMap.combine([grid, curve], title: "ALiBi (no encoding: a bias on the scores), \(heads) heads, \(length) positions",
                                  columns: 1)
    }

    /// The figure for a model's positions: a learned table beside the sinusoidal one of the same
    /// width; otherwise its kind at its dimensions.
    public static func svg(bundle: ModelBundle, length: Int) throws -> String {
        let c = bundle.config
        let name = bundle.directory.lastPathComponent
        switch c.positional {
        case .learned:
            let table = try learnedTable(bundle.model)
            let n = min(length, table.shape[0])
            let learned = Kernels.slice(table, axis: 0, range: 0..<n)
            return SVGHeatMap.combine(panels(learned, name: "learned") + panels(sinusoidal(dimension: c.dModel, length: n), name: "sinusoidal"),
                                      title: "\(name): learned positions (first row) beside sinusoidal ones, d_model \(c.dModel), \(n) positions",
                                      columns: 3)
        case .rope:
            let d = c.attention == .mla ? c.mlaRopeDim : c.headDimension
            return try svg(kind: .rope, dimension: d, length: length, ropeBase: c.ropeBase)
        case .sinusoidal, .alibi:
            return try svg(kind: c.positional, dimension: c.dModel, length: length, heads: c.heads, layout: c.sinusoidalLayout)
        }
    }

    /// The [max_len, d] table of a model with learned positions (the target side of an encoder-decoder).
    static func learnedTable(_ model: AnyTransformerModel) throws -> Tensor {
        let embedding: InputEmbedding
        switch model {
        case .encoderDecoder(let m): embedding = m.targetEmbedding
        case .decoderOnly(let m): embedding = m.embedding
        case .encoderOnly(let m): embedding = m.embedding
        }
        guard let learned = embedding.learned else { throw AttentionMapsError("the model has no learned positions") }
        return learned.weight
    }
}
