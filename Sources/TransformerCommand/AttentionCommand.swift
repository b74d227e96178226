// `transformer attention`: the attention weights of a model on one text, as SVG heat maps (every
// layer × head, or one map large) or as JSON.
import ArgumentParser
import Foundation
import Generation
import Inspection
import Training

extension AttentionSite: ExpressibleByArgument {}

struct AttentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Draw the attention weights of a model on a text as heat maps (SVG), or write them (JSON).",
        discussion: """
            An encoder-decoder model translates the text (greedy decoding with the KV cache) and shows its encoder \
            self-attention, decoder self-attention or cross-attention (the default: which source tokens each generated \
            token attended to). A decoder-only or encoder-only model runs the text and shows its self-attention. \
            Rows are queries, columns keys; each row sums to 1. Without --layer and --head the figure is a grid of \
            every layer × head; with one of them, that layer's heads or that head across the layers; with both, one \
            map large with its tokens. MODEL is any directory the other commands load: ours, or a Hugging Face \
            Marian, GPT-2, BERT or Llama one.
            Example:
              transformer attention --text "Zwei Hunde spielen im Schnee." --out cross.svg
            """)

    @Option(help: "Model directory (default: the bundled German→English model, \(BundledModel.relativePath)).")
    var model: String?

    @Option(help: "The text to translate or run.")
    var text: String

    @Option(help: "File to write (.svg, or .json with --format json).")
    var out: String

    @Option(help: "Which attention: encoder (self), decoder (self) or cross (default: cross when the model has it).")
    var kind: AttentionSite?

    @Option(help: "Only this layer (0-based).")
    var layer: Int?

    @Option(help: "Only this head (0-based).")
    var head: Int?

    @Option(help: "svg (heat maps) or json (the weights, [layer][head][query][key]; every kind unless --kind).")
    var format = "svg"

    @Option(help: "Longest input in tokens; a longer one is cut to it, with a warning.")
    var maxInputLength = 256

    @Option(help: "Threads (default: TRANSFORMER_THREADS or the core count).")
    var threads: Int?

    func validate() throws {
        guard ["svg", "json"].contains(format) else { throw ValidationError("--format must be svg or json") }
        guard maxInputLength >= 2 && maxInputLength <= 4096 else { throw ValidationError("--max-input-length must be in 2...4096") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
    }

    func run() throws {
        if let threads { ThreadPool.shared.threadCount = threads }
        let path = try model ?? BundledModel.locate()
        let bundle = try loadBundle(path, precision: .f32)
        let maps = try AttentionMaps.capture(bundle: bundle, text: text, maxTokens: maxInputLength)
        let selection = AttentionSelection(site: kind, layer: layer, head: head)
        let data = format == "json"
            ? try AttentionFigure.json(maps, selection: selection)
            : Data(try AttentionFigure.svg(maps, selection: selection, modelName: URL(fileURLWithPath: path).lastPathComponent).utf8)
        try AtomicFile.write(data, to: out)
        if let output = maps.output { print("translation: \(output)") }
        print("wrote \(out)")
    }
}
