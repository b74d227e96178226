// Helpers shared by the Checkpoints tests: fixture paths, temporary directories,
// hand-built files and error assertions.
import Checkpoints
import Foundation
import XCTest

enum TestFiles {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// A fresh empty directory, removed when the test ends.
    static func temporaryDirectory(for test: XCTestCase) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("checkpoints-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    /// A file with the given header text (declared length = its byte count) and `dataLength` zero bytes.
    static func file(header: String, dataLength: Int = 0) -> [UInt8] {
        let json = Array(header.utf8)
        return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + [UInt8](repeating: 0, count: dataLength)
    }
}

/// Asserts that `body` throws a `CheckpointError` accepted by `matches`, whose message
/// contains every string of `mentions`.
func assertCheckpointError<T>(
    _ body: @autoclosure () throws -> T, mentions: [String], file: StaticString = #filePath, line: UInt = #line,
    _ matches: (CheckpointError) -> Bool
) {
    do {
        _ = try body()
        XCTFail("expected a CheckpointError", file: file, line: line)
    } catch let error as CheckpointError {
        XCTAssertTrue(matches(error), "unexpected error: \(error)", file: file, line: line)
        for text in mentions {
            XCTAssertTrue(error.description.contains(text), "'\(error)' does not mention '\(text)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected a CheckpointError, got \(error)", file: file, line: line)
    }
}
