// `transformer evaluate`: translates a source file and scores it against a reference with
// BLEU and chrF as sacreBLEU computes them by default, and reports decoding speed.
import ArgumentParser
import Dispatch
import Evaluation
import Foundation
import Generation
import Models

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Translate a source file and print BLEU, chrF (sacreBLEU defaults) and tokens/s.",
        discussion: """
            MODEL is any directory translate takes (ours, or a Hugging Face Marian one, whose generation_config.json \
            gives the defaults of the search flags left out). Tokens/s counts output tokens (with <eos>) of the best \
            hypotheses over the decoding time.
            """)

    @Option(help: "Model directory (default: the bundled German→English model, \(BundledModel.relativePath)).")
    var model: String?

    @Option(help: "Source sentences, one per line.")
    var source: String

    @Option(help: "Reference translations, line-parallel to the source.")
    var reference: String

    @OptionGroup var search: SearchOptions

    @Option(help: "Also write the translations here.")
    var output: String?

    @Option(help: InferencePrecision.help)
    var precision: InferencePrecision?

    func run() throws {
        let loaded = try loadBundle(model ?? BundledModel.locate(), precision: precision)
        let model = try loaded.encoderDecoder(for: "evaluate")
        let options = try search.translationOptions(defaults: loaded.translationDefaults, model: model)
        let translator = Translator(model: model, options: options)
        let sources = try readTextLines(source)
        let references = try readTextLines(reference)
        guard sources.count == references.count else {
            throw DecodingCommandError("'\(source)' has \(sources.count) lines but '\(reference)' has \(references.count)")
        }
        let ids = try sources.enumerated().map { k, line in try sourceIDs(line, loaded, search.inputLimit, "\(source):\(k + 1)") }
        let nonEmpty = ids.indices.filter { ids[$0] != nil }
        let start = DispatchTime.now().uptimeNanoseconds
        let translated = translator.translate(nonEmpty.map { ids[$0] ?? [] })
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var hypotheses = [String](repeating: "", count: sources.count)
        for (i, h) in zip(nonEmpty, translated) { hypotheses[i] = try h.first.map { try loaded.text($0.tokens) } ?? "" }
        let tokens = translated.reduce(0) { $0 + ($1.first?.tokens.count ?? 0) }
        // Scored as `transformer score` reads files: trailing whitespace stripped.
        let hyp = try hypotheses.map { try Segments.lines(utf8: Data($0.utf8)).first ?? "" }
        print(try BLEU.corpusScore(hypotheses: hyp, references: [references]))
        print(try CHRF.corpusScore(hypotheses: hyp, references: [references]))
        print(String(format: "tokens/s = %.1f (%d tokens in %.2f s, %d sentences, beam %d)",
                     Double(tokens) / max(seconds, 1e-9), tokens, seconds, sources.count, options.beamSize))
        if let output {
            var out = try OutputStream(path: output)
            for h in hypotheses { out.write(h + "\n") }
            try out.close()
        }
    }
}
