// Figures: attention maps of the bundled model (a translation aligned with its source), their
// JSON, positional-encoding figures, and heat maps that are well-formed SVG whose labels never overlap.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import Generation
import Inspection
import Models
@testable import Training

final class FigureTests: XCTestCase {
    static let bundled = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models/multi30k-de-en")

    /// Parses `svg` as XML; returns its <text> contents.
    func wellFormed(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        final class Texts: NSObject, XMLParserDelegate {
            var texts: [String] = [], inText = false
            func parser(_ p: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                if e == "text" { inText = true; texts.append("") }
            }
            func parser(_ p: XMLParser, didEndElement e: String, namespaceURI: String?, qualifiedName: String?) { if e == "text" { inText = false } }
            func parser(_ p: XMLParser, foundCharacters s: String) { if inText { texts[texts.count - 1] += s } }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let delegate = Texts()
        parser.delegate = delegate
        XCTAssertTrue(parser.parse(), "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")", file: file, line: line)
        return delegate.texts
    }

    func testBundledModelsCrossAttentionAlignsTheTranslation() throws {
        let bundle = try ModelBundle(directory: FigureTests.bundled.path)
        let maps = try AttentionMaps.capture(bundle: bundle, text: "Zwei Hunde spielen im Schnee.")
        XCTAssertEqual(maps.output, "Two dogs are playing in the snow.")
        let cross = try XCTUnwrap(maps.site(.cross))
        XCTAssertEqual(cross.layers.count, 3)
        XCTAssertEqual(cross.heads, 8)
        XCTAssertEqual(cross.keyTokens, ["Zwei", "Hunde", "spielen", "im", "Schnee", ".", "<eos>"])
        XCTAssertEqual(cross.queryTokens.prefix(3), ["Two", "dogs", "are"])
        // In the last layer, averaged over heads, "dogs" looks at "Hunde" and "snow" at "Schnee" most.
        func argmax(_ query: Int) -> String {
            let row = (0..<cross.keyTokens.count).map { k in cross.layers[2].reduce(0) { $0 + $1[query][k] } }
            return cross.keyTokens[row.firstIndex(of: row.max()!)!]
        }
        XCTAssertEqual(argmax(1), "Hunde")
        XCTAssertEqual(argmax(cross.queryTokens.firstIndex(of: "snow")!), "Schnee")
        XCTAssertEqual(maps.site(.decoder)?.queryTokens.first, "<bos>", "decoder inputs start with the start token")
        XCTAssertEqual(maps.site(.encoder)?.layers.count, 3)

        let grid = wellFormed(try AttentionFigure.svg(maps, selection: AttentionSelection(), modelName: "bundled"))
        XCTAssertTrue(grid.contains("layer 2") && grid.contains("head 7") && grid.contains("Schnee"))
        let one = wellFormed(try AttentionFigure.svg(maps, selection: AttentionSelection(site: .encoder, layer: 1, head: 0), modelName: "bundled"))
        XCTAssertTrue(one.contains { $0.contains("encoder self-attention") && $0.contains("layer 1, head 0") })
        XCTAssertThrowsError(try AttentionFigure.svg(maps, selection: AttentionSelection(layer: 3), modelName: "m")) { error in
            XCTAssertTrue("\(error)".contains("layers 0...2"), "\(error)")
        }

        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: try AttentionFigure.json(maps, selection: AttentionSelection(head: 5))) as? [String: Any])
        let sites = try XCTUnwrap(json["sites"] as? [[String: Any]])
        XCTAssertEqual(sites.map { $0["site"] as? String }, ["encoder", "decoder", "cross"])
        let weights = try XCTUnwrap(sites[2]["weights"] as? [[[[Double]]]])
        XCTAssertEqual(weights.count, 3)
        XCTAssertEqual(weights[0].count, 1, "one head chosen")
        XCTAssertEqual(weights[0][0].count, cross.queryTokens.count)
        for row in weights[2][0] { XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-4) }
    }

    /// Hugging Face directories (random weights, committed for the parity tests) of every family.
    func testHubModelsOfEveryFamilyGiveTheirMaps() throws {
        let hub = FigureTests.bundled.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/ParityTests/Fixtures/hub")
        let cases: [(String, [AttentionSite])] = [("gpt2", [.decoder]), ("llama_gqa2", [.decoder]), ("sentence_bert", [.encoder]),
                                                  ("marian_swish_shared", [.encoder, .decoder, .cross])]
        for (name, sites) in cases {
            let bundle = try ModelBundle(directory: hub.appendingPathComponent(name).path)
            let maps = try AttentionMaps.capture(bundle: bundle, text: "Hello world, this is a test.")
            XCTAssertEqual(maps.sites.map(\.site), sites, name)
            for site in maps.sites {
                XCTAssertEqual(site.layers.count, bundle.config.family == .encoderOnly ? bundle.config.encoderLayers : site.site == .encoder
                               ? bundle.config.encoderLayers : bundle.config.decoderLayers, "\(name) \(site.site)")
                XCTAssertEqual(site.heads, bundle.config.heads, "\(name) \(site.site)")
                for row in site.layers[0][0] { XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-4, "\(name) \(site.site)") }
            }
            _ = wellFormed(try AttentionFigure.svg(maps, selection: AttentionSelection(), modelName: name))
        }
    }

    func testHeatMapLabelsNeverOverlap() {
        for n in [5, 40, 200] {
            let labels = (0..<n).map { "token\($0)" }
            let map = HeatMap(values: (0..<(n * n)).map { Float($0 % 7) / 7 }, rows: n, columns: n, rowLabels: labels, columnLabels: labels)
            let svg = SVGHeatMap.single(map, title: "t", xLabel: "keys", yLabel: "queries")
            let texts = wellFormed(svg)
            let shown = texts.filter { $0.hasPrefix("token") }.count
            let stride = SVGHeatMap.labelStride(min(36, 640 / Double(n)))
            XCTAssertEqual(shown, 2 * ((n + stride - 1) / stride), "n \(n)")
            // Labels at least a line (13 px) apart.
            XCTAssertGreaterThanOrEqual(Double(stride) * min(36, 640 / Double(n)), 13, "n \(n)")
        }
    }

    func testPositionFigures() throws {
        for kind in [PositionalEncodingKind.sinusoidal, .rope, .alibi] {
            let texts = wellFormed(try PositionFigure.svg(kind: kind, dimension: 32, length: 24))
            XCTAssertFalse(texts.isEmpty, "\(kind)")
        }
        XCTAssertThrowsError(try PositionFigure.svg(kind: .learned, dimension: 32, length: 24))
        // RoPE's rotated vector: R_p·u · R_q·u depends on q − p alone.
        let dots = PositionFigure.dotProducts(PositionFigure.rotary(dimension: 16, length: 20))
        for p in 0..<15 { XCTAssertEqual(dots.data[p * 20 + p + 5], dots.data[5], accuracy: 1e-5) }

        // A model with learned positions: its table beside the sinusoidal one.
        var c = TransformerConfig()
        (c.family, c.dModel, c.heads, c.ff, c.decoderLayers, c.tgtVocab, c.srcVocab, c.maxLen, c.positional) = (.decoderOnly, 16, 2, 32, 1, 20, 20, 32, .learned)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("positions-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try ModelExport.write(try DecoderOnlyModel(config: c, seed: 1), config: c, tokenizerDirectory: nil, to: dir, format: .native)
        let texts = wellFormed(try PositionFigure.svg(bundle: try ModelBundle(directory: dir.path, tokenizer: false), length: 64))
        XCTAssertTrue(texts.contains { $0.contains("learned positions") && $0.contains("32 positions") }, "\(texts.prefix(3))")
    }
}
