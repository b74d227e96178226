// Atomic writes: the target is replaced whole and no temporary file is left behind,
// whether the write succeeds or fails.
import Checkpoints
import Foundation
import XCTest

final class AtomicWriteTests: XCTestCase {
    private let tensors = [SafetensorsTensor(name: "w", shape: [2], floats: [1, 2])]

    func testReplacesTargetAndLeavesNoTemporaryFiles() throws {
        let directory = try TestFiles.temporaryDirectory(for: self)
        let path = directory + "/model.safetensors"
        try Data(repeating: 0xAB, count: 10_000).write(to: URL(fileURLWithPath: path))
        try SafetensorsWriter.write(tensors, metadata: ["step": "1"], to: path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["model.safetensors"])
        let expected = try SafetensorsWriter.serialize(tensors, metadata: ["step": "1"])
        XCTAssertEqual(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))), expected)

        try SafetensorsWriter.write(tensors, metadata: ["step": "2"], to: path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["model.safetensors"])
        XCTAssertEqual(try SafetensorsFile(path: path).metadata, ["step": "2"])
    }

    func testRelativePathWritesIntoCurrentDirectory() throws {
        let directory = try TestFiles.temporaryDirectory(for: self)
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(directory))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try SafetensorsWriter.write(tensors, to: "relative.safetensors")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["relative.safetensors"])
    }

    func testFailedRenameRemovesTemporaryFile() throws {
        let directory = try TestFiles.temporaryDirectory(for: self)
        // A non-empty directory in the way: rename(2) cannot replace it.
        let path = directory + "/taken"
        try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        assertCheckpointError(try SafetensorsWriter.write(tensors, to: path), mentions: [path, "rename"]) {
            if case .io(_, "rename", _) = $0 { true } else { false }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["taken"])
    }

    func testMissingDirectoryIsAnIOError() throws {
        let path = try TestFiles.temporaryDirectory(for: self) + "/missing/model.safetensors"
        assertCheckpointError(try SafetensorsWriter.write(tensors, to: path), mentions: ["open", "No such file"]) {
            if case .io(_, "open", ENOENT) = $0 { true } else { false }
        }
    }
}
