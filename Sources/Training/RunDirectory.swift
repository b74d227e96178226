// A training run directory:
//   training.json  the resolved training config      config.json     the model config
//   tokenizer.json the tokenizer                     metrics.jsonl   the metrics log
//   checkpoints/step-00001000/ …                     checkpoints/index.json  latest, best, kept
// A checkpoint is written into "step-N.partial", renamed to "step-N" when complete, and only
// then made current by an atomic rewrite of index.json: a crash or kill at any point leaves
// the index naming the previous, complete checkpoint.
import Foundation
import Models
import Tokenization

/// Which checkpoints exist and which are the latest and the best by validation loss.
public struct CheckpointIndex: Codable, Equatable, Sendable {
    public var latest: String
    public var best: String?
    public var bestValidLoss: Double?
    /// Kept step checkpoints, oldest first.
    public var kept: [String]

    enum CodingKeys: String, CodingKey { case latest, best, bestValidLoss = "best_valid_loss", kept }
}

public struct RunDirectory: Sendable {
    public let url: URL

    public init(_ path: String) { url = URL(fileURLWithPath: path) }

    public var trainingConfigPath: String { url.appendingPathComponent("training.json").path }
    public var modelConfigPath: String { url.appendingPathComponent("config.json").path }
    public var tokenizerPath: String { url.appendingPathComponent("tokenizer.json").path }
    public var metricsPath: String { url.appendingPathComponent("metrics.jsonl").path }
    public var checkpointsURL: URL { url.appendingPathComponent("checkpoints") }
    var indexPath: String { checkpointsURL.appendingPathComponent("index.json").path }

    public func create() throws {
        do { try FileManager.default.createDirectory(at: checkpointsURL, withIntermediateDirectories: true) } catch {
            throw TrainingError("cannot create run directory \(url.path): \(error.localizedDescription)")
        }
    }

    /// The index, or nil when no checkpoint was completed yet.
    public func index() throws -> CheckpointIndex? {
        guard let data = FileManager.default.contents(atPath: indexPath) else { return nil }
        do { return try JSONDecoder().decode(CheckpointIndex.self, from: data) } catch {
            throw TrainingError("invalid checkpoint index \(indexPath): \(describeDecodingError(error))")
        }
    }

    public func checkpointURL(_ name: String) -> URL { checkpointsURL.appendingPathComponent(name) }

    public static func checkpointName(step: Int) -> String { "step-" + String(format: "%08d", step) }

    /// Hooks run after a checkpoint's files are written and before it is committed, by run
    /// directory; tests make one throw to simulate a crash in the middle of a save. Keyed by
    /// directory so that tests running in parallel never see each other's hook.
    private static let hooks = HookTable()

    public func setBeforeCommit(_ hook: (@Sendable () throws -> Void)?) { RunDirectory.hooks.set(hook, for: url.path) }

    /// Saves a checkpoint and makes it the latest (and the best when `validLoss` improves on the
    /// index's best); then deletes checkpoints beyond the last `keepLast` that are not the best.
    public func saveCheckpoint(module: Module, optimizer: Adam, state: TrainingState,
                               validLoss: Double?, keepLast: Int) throws {
        let name = RunDirectory.checkpointName(step: state.step)
        let partial = checkpointsURL.appendingPathComponent(name + ".partial")
        let final = checkpointURL(name)
        let fm = FileManager.default
        try? fm.removeItem(at: partial)
        try TrainingCheckpoint.write(to: partial, module: module, optimizer: optimizer, state: state)
        try RunDirectory.hooks.hook(for: url.path)?()
        let index = try self.index()
        if fm.fileExists(atPath: final.path) {
            // Left by a run that stopped between rename and index update, or the same step saved again.
            guard index?.latest != name && index?.best != name else {
                try? fm.removeItem(at: partial)
                return try updateBest(name: name, validLoss: validLoss)
            }
            try fm.removeItem(at: final)
        }
        try AtomicFile.rename(partial.path, to: final.path)
        var next = index ?? CheckpointIndex(latest: name, best: nil, bestValidLoss: nil, kept: [])
        next.latest = name
        next.kept.removeAll { $0 == name }
        next.kept.append(name)
        if let validLoss, validLoss.isFinite, validLoss < (next.bestValidLoss ?? .infinity) {
            next.best = name
            next.bestValidLoss = validLoss
        }
        let doomed = next.kept.dropLast(keepLast).filter { $0 != next.best }
        next.kept.removeAll { doomed.contains($0) }
        try writeIndex(next)
        for old in doomed { try? fm.removeItem(at: checkpointURL(old)) }
    }

    private func updateBest(name: String, validLoss: Double?) throws {
        guard var index = try index(), let validLoss, validLoss.isFinite, validLoss < (index.bestValidLoss ?? .infinity) else { return }
        index.best = name
        index.bestValidLoss = validLoss
        try writeIndex(index)
    }

    private func writeIndex(_ index: CheckpointIndex) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(index), to: indexPath)
    }

    /// The directory of the latest checkpoint, or of the best with `best` (falling back to the latest).
    public func checkpoint(best: Bool = false) throws -> URL {
        guard let index = try index() else { throw TrainingError("run directory \(url.path) has no checkpoint yet") }
        return checkpointURL(best ? index.best ?? index.latest : index.latest)
    }

    /// Files that hold a tokenizer in a model directory, whatever its kind.
    public static let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
                                        "source.spm", "target.spm", "vocab.json", "target_vocab.json"]

    /// Keeps the tokenizer of a run started from a model directory: as tokenizer.json when it has
    /// that form, else as the directory's own tokenizer files (a Marian or SentencePiece tokenizer),
    /// so that an exported model carries it.
    public func keepTokenizer(_ tokenizer: Tokenizer, from directory: URL) throws {
        if (try? tokenizer.save(to: tokenizerPath)) != nil { return }
        let fm = FileManager.default
        for name in RunDirectory.tokenizerFiles where fm.fileExists(atPath: directory.appendingPathComponent(name).path) {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            try AtomicFile.write(data, to: url.appendingPathComponent(name).path)
        }
    }

    /// The resolved training config saved in the run.
    public func trainingConfig() throws -> TrainingConfig {
        try TrainingConfig.load(from: trainingConfigPath)
    }
}

/// The before-commit hooks, behind a lock.
private final class HookTable: @unchecked Sendable {
    private let lock = NSLock()
    private var hooks: [String: @Sendable () throws -> Void] = [:]

    func set(_ hook: (@Sendable () throws -> Void)?, for key: String) {
        lock.lock(); defer { lock.unlock() }
        hooks[key] = hook
    }

    func hook(for key: String) -> (@Sendable () throws -> Void)? {
        lock.lock(); defer { lock.unlock() }
        return hooks[key]
    }
}
