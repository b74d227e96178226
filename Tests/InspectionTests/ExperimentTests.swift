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

    func testPositionLengthTrainsEveryKind() throws {
        let (result, numbers) = try run("position-length")
        XCTAssertNil(result.held, "a quick run decides nothing")
        XCTAssertEqual(numbers["train_pairs"] as? Double, 4, "the fixture's pairs of at most 8 tokens")
        XCTAssertEqual((numbers["buckets"] as? [[String: Any]])?.map { $0["pairs"] as? Double }, [4, 4])
        let runs = try XCTUnwrap(numbers["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.map { $0["positional"] as? String }, ["sinusoidal", "learned", "rope", "alibi"])
        for r in runs {
            let losses = try XCTUnwrap(r["loss_by_bucket"] as? [Double])
            XCTAssertEqual(losses.count, 2)
            XCTAssertTrue(losses.allSatisfy { $0.isFinite && $0 > 0 }, "\(losses)")
            XCTAssertEqual((r["bleu_by_bucket"] as? [Double])?.count, 2)
        }
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
        let runs = try XCTUnwrap(numbers["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 8)
        for r in runs {
            let probes = try XCTUnwrap(r["layer_gradient_norms"] as? [[String: Any]])
            XCTAssertEqual(probes.map { $0["after_updates"] as? Double }, [0, 1, 2], "at initialization and after the first two updates")
            for p in probes {
                for stack in ["encoder", "decoder"] {
                    let norms = try XCTUnwrap(p[stack] as? [Double])
                    XCTAssertEqual(Double(norms.count), r["depth"] as? Double, "one norm per layer")
                    XCTAssertTrue(norms.allSatisfy { $0 > 0 && $0.isFinite }, "\(norms)")
                }
            }
        }
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

    func testCacheQualityTrainsEveryAttentionKind() throws {
        let (result, numbers) = try run("cache-quality")
        XCTAssertNil(result.held, "a quick run decides nothing")
        let runs = try XCTUnwrap(numbers["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.map { $0["kv_cache_bytes_per_token"] as? Double }, [2048, 1024, 512, 384],
                       "2 layers × (2 × kv heads × 32) floats; MLA: 2 × (32 + 16)")
        for r in runs { XCTAssertGreaterThan(try XCTUnwrap(r["decoding_tokens_per_second"] as? Double), 0) }
    }

    func testExposureBiasMeasuresBothTrainings() throws {
        let (result, numbers) = try run("exposure-bias")
        XCTAssertNil(result.held, "a quick run decides nothing")
        let runs = try XCTUnwrap(numbers["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 2)
        for r in runs {
            let losses = try XCTUnwrap(r["valid_loss_by_own_token_rate"] as? [Double])
            XCTAssertEqual(losses.count, 4)
            XCTAssertTrue(losses.allSatisfy(\.isFinite))
        }
    }

    func testLayerOrBatchNormShowsTheBatchDependence() throws {
        let (result, numbers) = try run("layer-or-batch-norm")
        XCTAssertNil(result.held, "a quick run decides nothing")
        let runs = try XCTUnwrap(numbers["runs"] as? [[String: Any]])
        let shifts = runs.map { $0["batch_shift"] as? Double ?? .nan }
        XCTAssertLessThan(shifts[0], 1e-5, "LayerNorm: a sentence's output is its own")
        XCTAssertGreaterThan(shifts[1], 1e-3, "BatchNorm: it moves with the batch")
    }

    func testWhenToStopDecodesThreeWays() throws {
        let (result, numbers) = try run("when-to-stop")
        XCTAssertNil(result.held, "a quick run decides nothing")
        let ways = try XCTUnwrap(numbers["ways"] as? [[String: Any]])
        XCTAssertEqual(ways.count, 3)
        XCTAssertNotNil(numbers["head_exact"] as? Double)
    }
}
