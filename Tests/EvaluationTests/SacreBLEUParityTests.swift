// Every fixture case against the numbers sacreBLEU 2.6 produced for it.

import Evaluation
import XCTest

final class SacreBLEUParityTests: XCTestCase {
    /// The task's contract: scores within 0.01 of sacreBLEU.
    let scoreTolerance = 0.01
    /// Precisions and BP come from the same integer counts, so they agree to rounding.
    let detailTolerance = 1e-9

    func testTokenizer13aMatchesSacreBLEU() throws {
        for fixture in try Fixtures.load("tokenizer_13a.json", as: TokenizerFixture.self).cases {
            // Compared as scalars: String equality would forgive canonically equivalent spellings.
            XCTAssertEqual(
                Array(Tokenizer13a.tokenize(fixture.input).unicodeScalars), Array(fixture.output.unicodeScalars),
                "13a tokenization of \(fixture.input.debugDescription)")
        }
    }

    func testHandWrittenCases() throws {
        try check(Fixtures.load("cases.json", as: MetricFixture.self).cases)
    }

    func testSyntheticCorpus() throws {
        try check(Fixtures.load("synthetic.json", as: MetricFixture.self).cases)
    }

    private func check(_ cases: [MetricFixture.Case]) throws {
        var worstBLEU = 0.0, worstCHRF = 0.0, worstSentence = 0.0
        for c in cases {
            let bleu = try BLEU.corpusScore(hypotheses: c.hypotheses, references: c.references)
            XCTAssertEqual(bleu.score, c.bleu.score, accuracy: scoreTolerance, "\(c.name): BLEU")
            XCTAssertEqual(bleu.matches, c.bleu.counts, "\(c.name): matches")
            XCTAssertEqual(bleu.totals, c.bleu.totals, "\(c.name): totals")
            XCTAssertEqual(bleu.hypothesisLength, c.bleu.sys_len, "\(c.name): hyp_len")
            XCTAssertEqual(bleu.referenceLength, c.bleu.ref_len, "\(c.name): ref_len")
            XCTAssertEqual(bleu.brevityPenalty, c.bleu.bp, accuracy: detailTolerance, "\(c.name): BP")
            for (mine, theirs) in zip(bleu.precisions, c.bleu.precisions) {
                XCTAssertEqual(mine, theirs, accuracy: detailTolerance, "\(c.name): precisions")
            }
            XCTAssertEqual(bleu.description, c.bleu.formatted, "\(c.name): formatted")
            worstBLEU = max(worstBLEU, abs(bleu.score - c.bleu.score))

            let chrf = try CHRF.corpusScore(hypotheses: c.hypotheses, references: c.references)
            XCTAssertEqual(chrf.score, c.chrf, accuracy: scoreTolerance, "\(c.name): chrF")
            XCTAssertEqual(chrf.description, c.chrf_formatted, "\(c.name): chrF formatted")
            worstCHRF = max(worstCHRF, abs(chrf.score - c.chrf))

            for (index, hypothesis) in c.hypotheses.enumerated() {
                let references = c.references.map { $0[index] }
                if let expected = c.sentence_bleu?[index] {
                    let score = try BLEU.sentenceScore(hypothesis: hypothesis, references: references).score
                    XCTAssertEqual(score, expected, accuracy: scoreTolerance, "\(c.name)[\(index)]: sentence BLEU")
                    worstSentence = max(worstSentence, abs(score - expected))
                }
                if let expected = c.sentence_chrf?[index] {
                    let score = try CHRF.sentenceScore(hypothesis: hypothesis, references: references).score
                    XCTAssertEqual(score, expected, accuracy: scoreTolerance, "\(c.name)[\(index)]: sentence chrF")
                    worstSentence = max(worstSentence, abs(score - expected))
                }
            }
        }
        print("max |Δ| vs sacreBLEU over \(cases.count) cases: BLEU \(worstBLEU), chrF \(worstCHRF), "
            + "sentence-level \(worstSentence)")
    }
}
