// `transformer export`: a run directory's checkpoint as a model directory (config.json,
// tokenizer.json, weights.safetensors) at f32, f16 or bf16.
import ArgumentParser
import Checkpoints
import Foundation
import Training

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a training run's checkpoint as a model directory.")

    @Argument(help: "Training run directory.")
    var runDir: String

    @Option(help: "Model directory to write.")
    var out: String

    @Option(help: "Weight format: f32, f16 or bf16.")
    var dtype = "f32"

    @Option(help: "Which checkpoint: best (by validation loss; the latest if none) or latest.")
    var checkpoint = "best"

    func validate() throws {
        guard ["f32", "f16", "bf16"].contains(dtype) else { throw ValidationError("--dtype must be f32, f16 or bf16") }
        guard ["best", "latest"].contains(checkpoint) else { throw ValidationError("--checkpoint must be best or latest") }
    }

    func run() throws {
        let format: SafetensorsTensor.FloatFormat = dtype == "f16" ? .f16 : dtype == "bf16" ? .bf16 : .f32
        let source = try RunDirectory(runDir).exportModel(to: URL(fileURLWithPath: out), format: format, best: checkpoint == "best")
        print("wrote \(out) from \(source.path) (\(dtype))")
    }
}
