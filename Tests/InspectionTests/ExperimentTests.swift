// The quick versions of the experiments run, write their figures and numbers, and — where the
// outcome does not depend on timing — reach the conclusion the full versions reach.
import Foundation
import XCTest
import Inspection

final class ExperimentTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func run(_ name: String) throws -> (ExperimentResult, [String: Any]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("experiment-\(name)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let context = ExperimentContext(directory: dir, quick: true,
                                        dataDirectory: ExperimentTests.root.appendingPathComponent("Tests/InspectionTests/Fixtures"),
                                        modelDirectory: ExperimentTests.root.appendingPathComponent("models/multi30k-de-en"))
        let result = try Experiments.run(try Experiments.named(name), context)
        for figure in result.figures {
            let svg = try String(contentsOf: dir.appendingPathComponent(figure), encoding: .utf8)
            XCTAssertTrue(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"), figure)
        }
        let data = try Data(contentsOf: dir.appendingPathComponent("\(name).json"))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(json["conclusion"] as? String, result.conclusion)
        XCTAssertEqual(json["quick"] as? String, "yes")
        return (result, try XCTUnwrap(json["numbers"] as? [String: Any]))
    }

    func testListAndUnknownNames() {
        XCTAssertEqual(Set(Experiments.all.map(\.name)).count, Experiments.all.count)
        XCTAssertThrowsError(try Experiments.named("no-such")) { XCTAssertTrue("\($0)".contains("scaled-attention")) }
    }

    func testSinusoidalPositions() throws {
        let (result, numbers) = try run("sinusoidal-positions")
        XCTAssertEqual(result.held, true, result.conclusion)
        XCTAssertLessThanOrEqual(try XCTUnwrap(numbers["max_abs_value"] as? Double), 1)
    }

    func testScaledAttention() throws {
        let (result, numbers) = try run("scaled-attention")
        XCTAssertEqual(result.held, true, result.conclusion)
        XCTAssertEqual((numbers["d_k"] as? [Double])?.count, (numbers["entropy_unscaled"] as? [Double])?.count)
        XCTAssertEqual((numbers["training_losses_unscaled"] as? [Double])?.count, 8, "the short run without the scaling")
    }

    func testParallelDecodingWritesTimes() throws {
        let (_, numbers) = try run("parallel-decoding")
        for key in ["seconds_per_token_parallel", "seconds_per_token_cached", "seconds_per_token_uncached"] {
            XCTAssertEqual((numbers[key] as? [Double])?.count, 3, key)
        }
    }

    func testNormPlacementTrainsEveryRun() throws {
        let (result, numbers) = try run("norm-placement")
        XCTAssertNil(result.held, "a quick run decides nothing")
        XCTAssertEqual((numbers["runs"] as? [[String: Any]])?.count, 8)
    }

    func testResidualConnectionsTrainsEveryRun() throws {
        let (result, numbers) = try run("residual-connections")
        XCTAssertNil(result.held, "a quick run decides nothing")
        let runs = try XCTUnwrap(numbers["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 4)
        for r in runs { XCTAssertEqual((r["losses"] as? [Double])?.count, 12, "\(r["depth"] ?? "")") }
    }

    func testDecodingOnWrittenSentences() throws {
        let (_, numbers) = try run("decoding")
        let bleu = try XCTUnwrap(numbers["bleu"] as? [[Double]])
        XCTAssertEqual(bleu.first?.count, 3)
        XCTAssertGreaterThan(bleu[0][0], 10, "the bundled model translates the written sentences")
    }
}
