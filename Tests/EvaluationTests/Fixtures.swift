// The sacreBLEU fixtures written by scripts/evaluation_fixtures.py, found next to this file.

import Foundation

struct TokenizerFixture: Decodable {
    struct Case: Decodable {
        let input: String
        let output: String
    }
    let cases: [Case]
}

struct MetricFixture: Decodable {
    struct BLEUExpectation: Decodable {
        let score: Double
        let counts: [Int]
        let totals: [Int]
        let precisions: [Double]
        let bp: Double
        let sys_len: Int
        let ref_len: Int
        let formatted: String
    }
    struct Case: Decodable {
        let name: String
        let hypotheses: [String]
        let references: [[String]]
        let bleu: BLEUExpectation
        let chrf: Double
        let chrf_formatted: String
        let sentence_bleu: [Double]?
        let sentence_chrf: [Double]?
    }
    let cases: [Case]
}

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: directory.appendingPathComponent(name)))
    }
}
