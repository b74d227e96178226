// Attention maps drawn (SVG heat maps: queries down, keys across) or written out (JSON): every
// layer × head of one site as a grid, the heads of one layer, one head across the layers, or one
// map large with its tokens.
import Foundation
import Training

public struct AttentionSelection: Sendable {
    public var site: AttentionSite?
    public var layer: Int?
    public var head: Int?

    public init(site: AttentionSite? = nil, layer: Int? = nil, head: Int? = nil) {
        self.site = site
        self.layer = layer
        self.head = head
    }
}

public enum AttentionFigure {
    /// The site drawn when none is chosen: cross-attention (the alignment) when there is one.
    public static func defaultSite(_ maps: AttentionMaps) -> AttentionSite {
        maps.site(.cross) != nil ? .cross : maps.sites.first?.site ?? .encoder
    }

    /// The chosen site, checked against what the model has, with the chosen layers and heads.
    static func resolve(_ maps: AttentionMaps, _ selection: AttentionSelection) throws -> (AttentionSiteMaps, [Int], [Int]) {
        let site = selection.site ?? defaultSite(maps)
        guard let chosen = maps.site(site) else {
            throw AttentionMapsError("this model has no \(site.title); it has " + maps.sites.map(\.site.rawValue).joined(separator: ", "))
        }
        let (layerCount, headCount) = (chosen.layers.count, chosen.heads)
        if let layer = selection.layer, !(0..<layerCount).contains(layer) {
            throw AttentionMapsError("--layer \(layer) is out of range: the \(site.title) has layers 0...\(layerCount - 1)")
        }
        if let head = selection.head, !(0..<headCount).contains(head) {
            throw AttentionMapsError("--head \(head) is out of range: the \(site.title) has heads 0...\(headCount - 1)")
        }
        return (chosen, selection.layer.map { [$0] } ?? Array(0..<layerCount), selection.head.map { [$0] } ?? Array(0..<headCount))
    }

    /// The selection as SVG, titled with `modelName` and the text.
    public static func svg(_ maps: AttentionMaps, selection: AttentionSelection, modelName: String) throws -> String {
        let (chosen, layers, heads) = try resolve(maps, selection)
        func heatMap(_ layer: Int, _ head: Int) -> HeatMap {
            HeatMap(values: chosen.layers[layer][head].flatMap { $0 }, rows: chosen.queryTokens.count, columns: chosen.keyTokens.count,
                    rowLabels: chosen.queryTokens, columnLabels: chosen.keyTokens)
        }
        var title = "\(chosen.site.title) — \(modelName): “\(clipped(maps.input))”"
        if let output = maps.output { title += " → “\(clipped(output))”" }
        let scale = ColorScale.sequential(low: 0, high: 1)
        if layers.count == 1 && heads.count == 1 {
            return SVGHeatMap.single(heatMap(layers[0], heads[0]), title: title + " — layer \(layers[0]), head \(heads[0])",
                                     xLabel: chosen.keyAxis, yLabel: chosen.queryAxis, scale: scale)
        }
        return SVGHeatMap.grid(layers.map { l in heads.map { h in heatMap(l, h) } }, title: title,
                               rowTitles: layers.map { "layer \($0)" }, columnTitles: heads.map { "head \($0)" },
                               xLabel: chosen.keyAxis, yLabel: chosen.queryAxis, scale: scale)
    }

    /// The selection as JSON: the text, the translation, and per site the tokens on both axes and
    /// `weights[layer][head][query][key]` (layers and heads as chosen, listed in `layers`/`heads`).
    /// Without a chosen site, every site.
    public static func json(_ maps: AttentionMaps, selection: AttentionSelection) throws -> Data {
        let sites = selection.site == nil ? maps.sites.map(\.site) : [selection.site!]
        let entries = try sites.map { site -> Entry in
            var s = selection
            s.site = site
            let (chosen, layers, heads) = try resolve(maps, s)
            return Entry(site: site.rawValue, queryTokens: chosen.queryTokens, keyTokens: chosen.keyTokens, layers: layers, heads: heads,
                         weights: layers.map { l in heads.map { h in chosen.layers[l][h] } })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(Document(input: maps.input, output: maps.output, sites: entries))
    }

    struct Document: Encodable {
        let input: String
        let output: String?
        let sites: [Entry]
    }

    struct Entry: Encodable {
        let site: String
        let queryTokens: [String]
        let keyTokens: [String]
        let layers: [Int]
        let heads: [Int]
        let weights: [[[[Float]]]]

        enum CodingKeys: String, CodingKey {
            case site, queryTokens = "query_tokens", keyTokens = "key_tokens", layers, heads, weights
        }
    }

    static func clipped(_ text: String, _ limit: Int = 60) -> String {
        let one = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return one.count <= limit ? one : String(one.prefix(limit - 1)) + "…"
    }
}
