// Experiment 10, decoding (the paper, §6.1: beam search with beam size 4 and length penalty
// α = 0.6): greedy decoding and beam search of sizes 1–10 under several length penalties, with the
// bundled German→English model on the Multi30k test set, in the precision it ships in (as `translate`
// runs it): BLEU, and sentences per second.
import Evaluation
import Foundation
import Generation
import Training

public struct DecodingSearchExperiment: Experiment {
    public let name = "decoding"
    public let claim = """
        Decoding: beam search finds better translations than greedy decoding (the paper uses beam 4, α = 0.6), with \
        returns that flatten as the beam grows, at a cost in speed that grows with it.
        """

    public init() {}

    public func run(_ context: ExperimentContext) throws -> ExperimentResult {
        guard let directory = context.modelDirectory else { throw ExperimentError("this experiment decodes with the bundled model: pass --model DIR") }
        let bundle = try ModelBundle(directory: directory.path)
        let model = try bundle.encoderDecoder(for: "the decoding experiment")
        let count = context.quick ? 24 : 500
        let sourceLines = try readLines(try context.dataFile("multi30k/test_2016_flickr.de"), count)
        let references = try readLines(try context.dataFile("multi30k/test_2016_flickr.en"), count)
        guard sourceLines.count == references.count, !sourceLines.isEmpty else {
            throw ExperimentError("the Multi30k test files have \(sourceLines.count) and \(references.count) lines")
        }
        let sources = try sourceLines.map { try bundle.sourceIDs($0, limit: InputLengthLimit())?.ids ?? model.sourceSequence([]) }
        let beams = context.quick ? [1, 2, 4] : [1, 2, 3, 4, 6, 8, 10]
        let penalties: [Float] = context.quick ? [0.6] : [0, 0.6, 1.0]
        var bleu: [[Double]] = [], speed: [[Double]] = []
        for alpha in penalties {
            var bleuRow: [Double] = [], speedRow: [Double] = []
            for beam in beams {
                var options = TranslationOptions()
                options.beamSize = beam
                options.lengthPenalty = alpha
                let translator = Translator(model: model, options: options)
                let start = DispatchTime.now().uptimeNanoseconds
                let hypotheses = translator.translate(sources)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let texts = try hypotheses.map { try bundle.text($0.first?.tokens ?? []) }
                let score = try BLEU.corpusScore(hypotheses: texts, references: [references]).score
                context.log(String(format: "beam %d, α %.1f: BLEU %.2f, %.1f sentences/s", beam, alpha, score, Double(sources.count) / seconds))
                bleuRow.append(score)
                speedRow.append(Double(sources.count) / seconds)
            }
            bleu.append(bleuRow)
            speed.append(speedRow)
        }
        let colors = ["#7f7f7f", "#1f77b4", "#d62728"]
        let x = beams.map(Double.init)
        func series(_ rows: [[Double]]) -> [PlotSeries] {
            penalties.enumerated().map { i, alpha in
                PlotSeries(name: String(format: "α = %.1f", alpha), color: colors[i % colors.count], points: Array(zip(x, rows[i])))
            }
        }
        let figure = try context.figure("decoding.svg", SVGHeatMap.combine([
            SVGPlot.chart(title: "BLEU (Multi30k test 2016, \(sources.count) sentences)", xLabel: "beam size (1 = greedy)", yLabel: "BLEU",
                          series: series(bleu), width: 520, height: 380),
            SVGPlot.chart(title: "Speed", xLabel: "beam size (1 = greedy)", yLabel: "sentences per second", series: series(speed),
                          width: 520, height: 380),
        ], title: "Greedy decoding and beam search, bundled de→en model", columns: 2))
        let paper = penalties.firstIndex(of: 0.6) ?? 0
        let greedy = bleu[paper][0], best = bleu[paper].max() ?? greedy
        let bestBeam = beams[bleu[paper].firstIndex(of: best) ?? 0]
        let held = best > greedy && speed[paper][beams.count - 1] < speed[paper][0]
        let conclusion = String(format: """
            With α = 0.6 on %d sentences: greedy %.2f BLEU at %.1f sentences/s; the best beam (%d) %.2f BLEU (%+.2f); beam %d \
            %.2f BLEU at %.1f sentences/s. %@
            """, sources.count, greedy, speed[paper][0], bestBeam, best, best - greedy, beams[beams.count - 1],
            bleu[paper][beams.count - 1], speed[paper][beams.count - 1],
            held ? "Beam search beats greedy decoding here, and costs speed."
                : best > greedy ? "Beam search beats greedy decoding here, but the wider beam did not time slower (a busy machine?)."
                : "Beam search did not beat greedy decoding here.")
        return ExperimentResult(conclusion: conclusion, held: held, numbers: [
            "sentences": .number(Double(sources.count)), "beams": .integers(beams), "length_penalties": .numbers(penalties.map { (Double($0) * 100).rounded() / 100 }),
            "bleu": .list(bleu.map { .numbers($0) }), "sentences_per_second": .list(speed.map { .numbers($0) }),
            "threads": .number(Double(ThreadPool.shared.threadCount)),
        ], figures: [figure])
    }

    func readLines(_ url: URL, _ count: Int) throws -> [String] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").prefix(count).map(String.init)
    }
}
