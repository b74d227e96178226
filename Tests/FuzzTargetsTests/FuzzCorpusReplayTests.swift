// Replays every committed fuzzing corpus (Fuzz/Corpus/TARGET/) through the fuzz targets that the
// libFuzzer harness runs, so that the inputs fuzzing found stay handled: each input parses or is
// rejected with an error, and breaks none of the target's checks.
import Foundation
import FuzzTargets
import XCTest

final class FuzzCorpusReplayTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let corpora = repository.appendingPathComponent("Fuzz/Corpus")

    func testEveryTargetHasACorpusAndEveryCorpusATarget() throws {
        let directories = try FileManager.default.contentsOfDirectory(atPath: Self.corpora.path).sorted()
        XCTAssertEqual(directories, FuzzTargets.names.sorted())
    }

    func testUnknownTargetIsAnError() {
        XCTAssertThrowsError(try FuzzTargets.make("NoSuchParser", repository: Self.repository))
    }

    func replay(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let target = try FuzzTargets.make(name, repository: Self.repository)
        let directory = Self.corpora.appendingPathComponent(name)
        let inputs = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        XCTAssertFalse(inputs.isEmpty, "Fuzz/Corpus/\(name) is empty", file: file, line: line)
        for input in inputs {
            let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(input)))
            do { try target.run(bytes) } catch { XCTFail("Fuzz/Corpus/\(name)/\(input): \(error)", file: file, line: line) }
        }
    }

    func testJSON() throws { try replay("JSON") }
    func testSafetensors() throws { try replay("Safetensors") }
    func testPyTorch() throws { try replay("PyTorch") }
    func testPickle() throws { try replay("Pickle") }
    func testShardIndex() throws { try replay("ShardIndex") }
    func testTokenizerJSON() throws { try replay("TokenizerJSON") }
    func testSentencePiece() throws { try replay("SentencePiece") }
    func testTokenizerEncode() throws { try replay("TokenizerEncode") }
    func testMarian() throws { try replay("Marian") }
    func testRegex() throws { try replay("Regex") }
    func testTrainingConfig() throws { try replay("TrainingConfig") }
    func testModelConfig() throws { try replay("ModelConfig") }
    func testHubConfig() throws { try replay("HubConfig") }
}
