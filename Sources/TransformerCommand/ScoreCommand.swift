// `transformer score`: corpus BLEU and chrF of a hypothesis file against reference files,
// equal to sacreBLEU's defaults (the library does the work; this reads files and prints).

import ArgumentParser
import Evaluation
import Foundation

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score translations with corpus BLEU and chrF, as sacreBLEU computes them by default.",
        discussion: """
            Files are UTF-8 text with one segment per line; trailing whitespace of each line is \
            stripped, as sacreBLEU does. Every reference file must have as many lines as the \
            hypothesis file. Give --reference once per reference translation.

            BLEU: 13a tokenization, n-grams up to 4, 'exp' smoothing, brevity penalty over the corpus.
            chrF: character n-grams up to 6, beta = 2, whitespace ignored (sacreBLEU's chrF2).

            Examples:
              transformer score --hypothesis out.txt --reference ref.txt
              transformer score --hypothesis out.txt --reference a.txt --reference b.txt
              transformer score --hypothesis out.txt --reference ref.txt --json
            """)

    enum Metric: String, CaseIterable, ExpressibleByArgument {
        case bleu, chrf, all
    }

    @Option(help: ArgumentHelp("The system's translations, one per line.", valueName: "file"))
    var hypothesis: String

    @Option(
        name: .customLong("reference"),
        help: ArgumentHelp("A reference file, line-parallel to the hypotheses; repeat for several references.",
                           valueName: "file"))
    var references: [String]

    @Option(help: "The metric to compute.")
    var metric: Metric = .all

    @Flag(help: "Print one JSON object (scores and BLEU's counts) instead of text lines.")
    var json = false

    func run() throws {
        let hypotheses = try Self.readSegments(hypothesis, role: "hypothesis")
        var referenceStreams: [[String]] = []
        for path in references {
            let lines = try Self.readSegments(path, role: "reference")
            guard lines.count == hypotheses.count else {
                throw ScoreError("reference file '\(path)' has \(lines.count) lines but hypothesis file "
                    + "'\(hypothesis)' has \(hypotheses.count); the files must be line-parallel")
            }
            referenceStreams.append(lines)
        }

        var report = Report(references: referenceStreams.count, segments: hypotheses.count)
        if metric != .chrf {
            report.bleu = Report.BLEUReport(try BLEU.corpusScore(hypotheses: hypotheses, references: referenceStreams))
        }
        if metric != .bleu {
            report.chrf = Report.CHRFReport(try CHRF.corpusScore(hypotheses: hypotheses, references: referenceStreams))
        }

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            for line in [report.bleu?.formatted, report.chrf?.formatted].compactMap({ $0 }) { print(line) }
        }
    }

    /// Reads a file as sacreBLEU does, turning each failure into a message that names the file.
    private static func readSegments(_ path: String, role: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ScoreError("\(role) file '\(path)' does not exist")
        }
        guard !isDirectory.boolValue else { throw ScoreError("\(role) file '\(path)' is a directory") }
        let data: Data
        do { data = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readToEnd() ?? Data() } catch {
            throw ScoreError("\(role) file '\(path)' cannot be read: \(error.localizedDescription)")
        }
        do {
            return try Segments.lines(utf8: data)
        } catch {
            throw ScoreError("\(role) file '\(path)' is \(error)")
        }
    }
}

private struct ScoreError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The --json output; key names follow sacreBLEU's where it has one.
private struct Report: Encodable {
    struct BLEUReport: Encodable {
        let name = "BLEU"
        let score: Double
        let counts: [Int]
        let totals: [Int]
        let precisions: [Double]
        let bp: Double
        let ratio: Double
        let hyp_len: Int
        let ref_len: Int
        let formatted: String

        init(_ s: BLEUScore) {
            (score, counts, totals, precisions) = (s.score, s.matches, s.totals, s.precisions)
            (bp, ratio, hyp_len, ref_len) = (s.brevityPenalty, s.ratio, s.hypothesisLength, s.referenceLength)
            formatted = s.description
        }
    }

    struct CHRFReport: Encodable {
        let name: String
        let score: Double
        let char_order = CHRF.charOrder
        let word_order = 0
        let beta = CHRF.beta
        let formatted: String

        init(_ s: CHRFScore) { (name, score, formatted) = (s.name, s.score, s.description) }
    }

    let references: Int
    let segments: Int
    var bleu: BLEUReport?
    var chrf: CHRFReport?
}
