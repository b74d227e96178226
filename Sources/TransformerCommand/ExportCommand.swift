// `transformer export`: a run directory's checkpoint (or the mean of its last N checkpoints), or
// any model directory, written as a model directory: ours, Hugging Face transformers' or the
// torch.nn.Transformer reference layout, at f32, f16 or bf16 (ours also at int8).
import ArgumentParser
import Checkpoints
import Foundation
import Training

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a training run's checkpoint or a model directory as a model directory (ours, Hugging Face or PyTorch).",
        discussion: """
            Examples:
              transformer export runs/multi30k-de-en --out models/de-en --dtype f16
              transformer export runs/multi30k-de-en --out models/de-en --average 5
              transformer export models/de-en --format hf --out hf/de-en
              transformer export models/de-en --out models/de-en-int8 --dtype int8
            --average N writes the element-wise mean of the last N kept checkpoints, as the paper's \
            base models were made (§6.1); keep enough of them with training.keep_last.
            --format hf writes what Hugging Face transformers loads (AutoModelForSeq2SeqLM, \
            AutoModelForCausalLM, AutoModel, AutoTokenizer): an encoder-decoder as Marian (Post-LN \
            without final norms), a decoder-only model as Llama (positional rope, rms_norm, swiglu, \
            bias false) or GPT-2 (Pre-LN LayerNorm with a final norm), an encoder-only model as BERT \
            (Post-LN with embedding_norm). A config the architecture cannot express is refused, \
            naming the key. --format pytorch writes the torch.nn.Transformer reference layout.
            --dtype int8 (our layout only) stores each linear and embedding weight as int8 <name> with \
            float32 <name>.scale, one scale per row (max|row| / 127), and every other parameter as \
            float32; any --precision loads it (f32 and bf16 dequantize).
            """)

    @Argument(help: "Training run directory, or a model directory (ours, PyTorch layout or Hugging Face).")
    var source: String

    @Option(help: "Model directory to write.")
    var out: String

    @Option(help: "Layout: native (ours), hf (Hugging Face transformers) or pytorch (torch.nn.Transformer).")
    var format = "native"

    @Option(help: "Weight format: f32, f16, bf16 or int8 (int8: --format native only).")
    var dtype: WeightFormat = .f32

    @Option(help: "Which checkpoint of a run: best (by validation loss; the latest if none) or latest.")
    var checkpoint = "best"

    @Option(help: "Average the weights of a run's last N kept checkpoints instead of taking one.")
    var average: Int?

    func validate() throws {
        guard ExportFormat(rawValue: format) != nil else { throw ValidationError("--format must be native, hf or pytorch") }
        if dtype == .int8 && format != ExportFormat.native.rawValue {
            throw ValidationError("--dtype int8 is written in our layout only (--format native)")
        }
        guard ["best", "latest"].contains(checkpoint) else { throw ValidationError("--checkpoint must be best or latest") }
        if let average, average < 1 { throw ValidationError("--average must be at least 1") }
    }

    func run() throws {
        let layout = ExportFormat(rawValue: format) ?? .native
        let url = URL(fileURLWithPath: source), destination = URL(fileURLWithPath: out)
        let what = "\(out) (\(format), \(dtype.rawValue))"
        guard RunDirectory.isRun(url) else {
            guard average == nil && checkpoint == "best" else {
                throw ValidationError("--average and --checkpoint choose among a run's checkpoints; \(source) is not a run directory")
            }
            let architecture = try ModelExport.export(modelDirectory: url, to: destination, format: layout, dtype: dtype)
            let tokenizer = FileManager.default.fileExists(atPath: url.appendingPathComponent("tokenizer.json").path)
            return print("wrote \(what)" + (architecture.map { " as \($0.rawValue)" } ?? "") + " from \(source)"
                         + (tokenizer ? "" : " (it has no tokenizer.json: none written)"))
        }
        let exportSource: ExportSource = average.map { .average($0) } ?? (checkpoint == "best" ? .best : .latest)
        let run = RunDirectory(source)
        let used = try run.exportModel(to: destination, format: layout, dtype: dtype, source: exportSource)
        let names = used.map(\.lastPathComponent).joined(separator: ", ")
        let architecture = layout == .hf ? " as \(try HubExport.architecture(for: run.trainingConfig().model).rawValue)" : ""
        print("wrote \(what)\(architecture) from " + (used.count > 1 ? "the mean of \(used.count) checkpoints: \(names)" : names))
    }
}
