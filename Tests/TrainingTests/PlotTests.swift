// Metrics log round trip and the SVG plot: well-formed XML with both curves, axes and labels.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Training

@Suite struct PlotTests {
    @Test func metricsRoundTripAndNonFiniteBecomesNull() throws {
        let dir = temporaryDirectory("metrics")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/metrics.jsonl"
        let log = try MetricsLog(path: path)
        log.append(MetricsRecord(kind: "train", step: 10, values: ["loss": 2.5, "lr": 1e-3]))
        log.append(MetricsRecord(kind: "skip", step: 11, values: ["loss": .nan]))
        log.append(MetricsRecord(kind: "train", step: 20, values: ["loss": 2.0]))
        #expect(MetricsRecord(kind: "skip", step: 11, values: ["loss": .nan]).jsonLine == #"{"kind":"skip","step":11,"loss":null}"#)
        let records = try MetricsLog.read(path)
        #expect(records.count == 3 && records[0].values["loss"] == 2.5 && records[0].values["lr"] == 1e-3)
        #expect(records[1].values["loss"]?.isNaN == true)
        // Reopening for a resume at step 10 drops what came after it.
        _ = try MetricsLog(path: path, truncateAfter: 10)
        #expect(try MetricsLog.read(path).map(\.step) == [10])
    }

    @Test func svgIsWellFormedWithBothCurves() throws {
        var records = (1...50).map { MetricsRecord(kind: "train", step: $0 * 10, values: ["loss": 6 / Double($0).squareRoot()]) }
        records += (1...5).map { MetricsRecord(kind: "valid", step: $0 * 100, values: ["loss": 5 / Double($0).squareRoot()]) }
        let svg = SVGPlot.lossCurves(records, title: "run <1> & co")
        final class Collector: NSObject, XMLParserDelegate {
            var elements: [String] = []
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) { elements.append(name) }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(collector.elements.first == "svg")
        #expect(collector.elements.filter { $0 == "path" }.count == 3)  // axes + two curves
        #expect(svg.contains(">training<") && svg.contains(">validation<") && svg.contains(">step<") && svg.contains(">loss<"))
        #expect(svg.contains("run &lt;1&gt; &amp; co"))
    }

    @Test func ticksAreRoundNumbers() {
        #expect(SVGPlot.ticks(low: 0, high: 500) == [0, 100, 200, 300, 400, 500])
        #expect(SVGPlot.ticks(low: 1.13, high: 2.9, count: 5) == [1.5, 2, 2.5])
    }
}
