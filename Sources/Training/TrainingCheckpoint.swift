// A training checkpoint: one directory holding weights.safetensors (parameters under their
// names), optimizer.safetensors (Adam moments "m.<name>", "v.<name>") and state.json (step,
// data position, random generator states, counters). Everything needed to continue exactly.
import Checkpoints
import Foundation
import Models

/// A random generator's state as decimal strings (JSON numbers lose 64-bit integers in some decoders).
public struct GeneratorState: Codable, Equatable, Sendable {
    public var seed: String
    public var counter: String
    public init(_ g: RandomGenerator) { seed = String(g.seed); counter = String(g.counter) }

    public func generator() throws -> RandomGenerator {
        guard let s = UInt64(seed), let c = UInt64(counter) else { throw TrainingError("invalid random generator state \(seed)/\(counter)") }
        var g = RandomGenerator(seed: s)
        g.counter = c
        return g
    }
}

/// Where training stands, apart from tensors.
public struct TrainingState: Codable, Equatable, Sendable {
    /// Optimizer updates taken.
    public var step = 0
    /// The current pass over the data (0-based) and how many of its batches are consumed.
    public var epoch = 0
    public var batchInEpoch = 0
    /// Dropout masks (the model's RandomSource) and scheduled-sampling choices.
    public var dropout: GeneratorState
    public var sampling: GeneratorState
    /// Consecutive and total updates skipped for non-finite loss or gradients.
    public var badSteps = 0
    public var skippedSteps = 0
    /// Target tokens trained on so far.
    public var tokens = 0
    public var bestValidLoss: Double?
    /// Seconds spent in `Trainer.run` over all invocations (a time-budgeted schedule's clock).
    public var trainingSeconds: Double?

    public init(dropout: RandomGenerator, sampling: RandomGenerator) {
        self.dropout = GeneratorState(dropout)
        self.sampling = GeneratorState(sampling)
    }

    enum CodingKeys: String, CodingKey {
        case step, epoch, batchInEpoch = "batch_in_epoch", dropout = "dropout_rng", sampling = "sampling_rng"
        case badSteps = "bad_steps", skippedSteps = "skipped_steps", tokens, bestValidLoss = "best_valid_loss"
        case trainingSeconds = "training_seconds"
    }
}

public enum TrainingCheckpoint {
    static let weightsFile = "weights.safetensors", optimizerFile = "optimizer.safetensors", stateFile = "state.json"

    /// Writes the three files into `directory` (each atomically).
    public static func write(to directory: URL, module: Module, optimizer: Adam, state: TrainingState) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let weights = module.namedParameters().map { SafetensorsTensor(name: $0.name, tensor: $0.tensor) }
        try SafetensorsWriter.write(weights, metadata: ["format": "swift-transformer"],
                                    to: directory.appendingPathComponent(weightsFile).path)
        var moments: [SafetensorsTensor] = []
        for (k, (name, _)) in optimizer.parameters.enumerated() {
            moments.append(SafetensorsTensor(name: "m." + name, tensor: optimizer.firstMoments[k]))
            moments.append(SafetensorsTensor(name: "v." + name, tensor: optimizer.secondMoments[k]))
        }
        try SafetensorsWriter.write(moments, metadata: ["step": String(optimizer.step)],
                                    to: directory.appendingPathComponent(optimizerFile).path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(state), to: directory.appendingPathComponent(stateFile).path)
    }

    /// Loads weights into `module`, moments into `optimizer` (when given) and returns the state.
    public static func read(from directory: URL, module: Module, optimizer: Adam?) throws -> TrainingState {
        let stateURL = directory.appendingPathComponent(stateFile)
        guard let data = FileManager.default.contents(atPath: stateURL.path) else {
            throw TrainingError("checkpoint \(directory.path) has no readable \(stateFile)")
        }
        let state: TrainingState
        do { state = try JSONDecoder().decode(TrainingState.self, from: data) } catch {
            throw TrainingError("invalid \(stateURL.path): \(describeDecodingError(error))")
        }
        do {
            try ModelDirectory.loadNative(SafetensorsFile(path: directory.appendingPathComponent(weightsFile).path), into: module)
            if let optimizer {
                let file = try SafetensorsFile(path: directory.appendingPathComponent(optimizerFile).path)
                let m = try optimizer.parameters.map { try file.tensor("m." + $0.name, shape: $0.tensor.shape) }
                let v = try optimizer.parameters.map { try file.tensor("v." + $0.name, shape: $0.tensor.shape) }
                try optimizer.restore(firstMoments: m, secondMoments: v, step: state.step)
            }
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError("cannot load checkpoint \(directory.path): \(error)")
        }
        return state
    }
}
