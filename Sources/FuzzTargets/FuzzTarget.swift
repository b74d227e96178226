// Fuzz targets: each parser of outside input as a function of bytes that returns when the parser
// accepts or rejects the input with an error, and throws FuzzFailure when an accepted input breaks
// an invariant. The libFuzzer harnesses (Fuzz/) and the corpus replay tests call the same targets.
import Foundation

/// An input that the parser accepted but that broke one of the target's checks.
public struct FuzzFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw FuzzFailure(message()) }
}

/// One parser under fuzzing: its name (also the corpus directory, Fuzz/Corpus/NAME) and the
/// function libFuzzer calls with each input.
public struct FuzzTarget {
    public let name: String
    public let run: ([UInt8]) throws -> Void
}

public enum FuzzTargets {
    /// Every target, in the order they are fuzzed when time is short.
    public static let names = [
        "Safetensors", "PyTorch", "Pickle", "ShardIndex", "TokenizerJSON", "SentencePiece", "ModelConfig", "HubConfig",
        "TrainingConfig", "JSON", "TokenizerEncode", "Marian", "Regex",
    ]

    /// The target `name`; `repository` is the repository root, whose test fixtures give some
    /// targets their fixed context (the tokenizers to encode with, the shards an index names).
    public static func make(_ name: String, repository: URL) throws -> FuzzTarget {
        let fixtures = Fixtures(root: repository)
        let run: ([UInt8]) throws -> Void
        switch name {
        case "JSON": run = json
        case "Safetensors": run = safetensors
        case "PyTorch": run = pyTorch
        case "Pickle": run = pickle
        case "ShardIndex": run = try shardIndex(fixtures)
        case "TokenizerJSON": run = tokenizerJSON
        case "SentencePiece": run = sentencePiece
        case "TokenizerEncode": run = try tokenizerEncode(fixtures)
        case "Marian": run = try marian(fixtures)
        case "Regex": run = regex
        case "TrainingConfig": run = trainingConfig
        case "ModelConfig": run = modelConfig
        case "HubConfig": run = try hubConfig()
        default: throw FuzzFailure("no fuzz target '\(name)'; targets: \(names.joined(separator: ", "))")
        }
        return FuzzTarget(name: name, run: run)
    }
}

/// Test fixtures of the repository, by path from its root.
struct Fixtures {
    let root: URL

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// A directory of its own under the temporary directory for targets whose parser reads files;
/// removed when the last target holding it goes.
final class ScratchDirectory {
    let path: String

    init(_ label: String) throws {
        path = NSTemporaryDirectory() + "fuzz-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        guard FileManager.default.createFile(atPath: file(name), contents: Data(bytes)) else {
            throw FuzzFailure("cannot write \(file(name))")
        }
    }

    func copy(_ from: String, as name: String) throws {
        try? FileManager.default.removeItem(atPath: file(name))
        try FileManager.default.copyItem(atPath: from, toPath: file(name))
    }
}
