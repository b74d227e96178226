// Bad input is reported with an error, and the small helpers behave at their edges.

import Evaluation
import XCTest

final class EvaluationErrorTests: XCTestCase {
    func testMismatchedLineCountsThrow() {
        let hypotheses = ["a b c", "d e f"]
        for metric in metrics {
            XCTAssertThrowsError(try metric(hypotheses, [["a b c", "d e f"], ["only one"]])) { error in
                XCTAssertEqual(
                    error as? EvaluationError,
                    .lineCountMismatch(referenceStream: 1, hypothesisLines: 2, referenceLines: 1))
                XCTAssertTrue("\(error)".contains("reference stream 2 has 1 lines but there are 2 hypotheses"))
            }
            XCTAssertThrowsError(try metric(hypotheses, [])) { error in
                XCTAssertEqual(error as? EvaluationError, .noReferences)
            }
        }
        XCTAssertThrowsError(try BLEU.sentenceScore(hypothesis: "a", references: []))
        XCTAssertThrowsError(try CHRF.sentenceScore(hypothesis: "a", references: []))
    }

    func testEmptyCorpusScoresZero() throws {
        XCTAssertEqual(try BLEU.corpusScore(hypotheses: [], references: [[]]).score, 0)
        XCTAssertEqual(try CHRF.corpusScore(hypotheses: [], references: [[]]).score, 0)
    }

    func testPerplexity() throws {
        XCTAssertEqual(try Perplexity.fromNegativeLogLikelihoods([log(4.0), log(4.0)]), 4, accuracy: 1e-12)
        XCTAssertEqual(try Perplexity.fromNegativeLogLikelihoods([Float(0), Float(0)]), 1)
        XCTAssertEqual(try Perplexity.fromTotal(negativeLogLikelihood: 3 * log(2.0), tokenCount: 3), 2, accuracy: 1e-12)
        XCTAssertThrowsError(try Perplexity.fromNegativeLogLikelihoods([Double]())) { error in
            guard case .emptyInput = error as? EvaluationError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try Perplexity.fromTotal(negativeLogLikelihood: 0, tokenCount: 0))
    }

    func testSegmentsReadLinesLikeSacreBLEU() throws {
        XCTAssertEqual(try Segments.lines(utf8: Array("a b \nc\r\n\n d\u{00A0}\t\n".utf8)), ["a b", "c", "", " d"])
        XCTAssertEqual(try Segments.lines(utf8: Array("no final newline".utf8)), ["no final newline"])
        XCTAssertEqual(try Segments.lines(utf8: [UInt8]()), [])
        XCTAssertEqual(try Segments.lines(utf8: Array("\n".utf8)), [""])
        XCTAssertThrowsError(try Segments.lines(utf8: Array("ok\nbad ".utf8) + [0xFF, 0x0A])) { error in
            XCTAssertEqual(error as? EvaluationError, .invalidUTF8(line: 2))
        }
    }

    private var metrics: [([String], [[String]]) throws -> Double] {
        [
            { try BLEU.corpusScore(hypotheses: $0, references: $1).score },
            { try CHRF.corpusScore(hypotheses: $0, references: $1).score },
        ]
    }
}
