// `transformer export`: a run directory's checkpoint (or the mean of its last N checkpoints) as a
// model directory (config.json, tokenizer.json, weights.safetensors) at f32, f16 or bf16.
import ArgumentParser
import Checkpoints
import Foundation
import Training

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a training run's checkpoint as a model directory.",
        discussion: """
            Examples:
              transformer export runs/multi30k-de-en --out models/de-en --dtype f16
              transformer export runs/multi30k-de-en --out models/de-en --average 5
            --average N writes the element-wise mean of the last N kept checkpoints, as the paper's
            base models were made (§6.1); keep enough of them with training.keep_last.
            """)

    @Argument(help: "Training run directory.")
    var runDir: String

    @Option(help: "Model directory to write.")
    var out: String

    @Option(help: "Weight format: f32, f16 or bf16.")
    var dtype = "f32"

    @Option(help: "Which checkpoint: best (by validation loss; the latest if none) or latest.")
    var checkpoint = "best"

    @Option(help: "Average the weights of the last N kept checkpoints instead of taking one.")
    var average: Int?

    func validate() throws {
        guard ["f32", "f16", "bf16"].contains(dtype) else { throw ValidationError("--dtype must be f32, f16 or bf16") }
        guard ["best", "latest"].contains(checkpoint) else { throw ValidationError("--checkpoint must be best or latest") }
        if let average, average < 1 { throw ValidationError("--average must be at least 1") }
    }

    func run() throws {
        let format: SafetensorsTensor.FloatFormat = dtype == "f16" ? .f16 : dtype == "bf16" ? .bf16 : .f32
        let source: ExportSource = average.map { .average($0) } ?? (checkpoint == "best" ? .best : .latest)
        let used = try RunDirectory(runDir).exportModel(to: URL(fileURLWithPath: out), format: format, source: source)
        let names = used.map(\.lastPathComponent).joined(separator: ", ")
        print("wrote \(out) (\(dtype)) from " + (used.count > 1 ? "the mean of \(used.count) checkpoints: \(names)" : names))
    }
}
