// `transformer positions`: a positional encoding as a figure (SVG): the encoding, PE(p)·PE(q), and
// the dot product against the offset; a model's own positions (learned ones beside sinusoidal ones).
import ArgumentParser
import Foundation
import Inspection
import Models
import Training

extension PositionalEncodingKind: ExpressibleByArgument {}

struct PositionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "positions",
        abstract: "Draw a positional encoding (sinusoidal, RoPE, ALiBi, or a model's) as SVG.",
        discussion: """
            Without --model, draws --kind at --d-model (RoPE: the head dimension) over --length positions: the \
            encoding as a heat map (position × dimension), the matrix PE(p)·PE(q), and PE(p)·PE(q) against the \
            offset q − p from three positions (one curve when the product depends on the offset only). ALiBi adds \
            no encoding: its figure is the bias −m_h·|p − q| of each head. With --model, the model's own kind and \
            sizes; learned positions are drawn beside sinusoidal ones of the same width.
            Example:
              transformer positions --kind sinusoidal --d-model 128 --length 64 --out pe.svg
            """)

    @Option(help: "SVG file to write.")
    var out: String

    @Option(help: "A model directory whose positions to draw.")
    var model: String?

    @Option(help: "sinusoidal, rope or alibi (without --model).")
    var kind: PositionalEncodingKind = .sinusoidal

    @Option(help: "Width of the encoding (RoPE: of a head).")
    var dModel = 128

    @Option(help: "Positions drawn.")
    var length = 64

    @Option(help: "Heads (ALiBi's slopes).")
    var heads = 8

    func validate() throws {
        guard (2...1024).contains(dModel) else { throw ValidationError("--d-model must be in 2...1024") }
        guard (2...512).contains(length) else { throw ValidationError("--length must be in 2...512") }
        guard (1...64).contains(heads) else { throw ValidationError("--heads must be in 1...64") }
    }

    func run() throws {
        let svg = if let model {
            try PositionFigure.svg(bundle: try loadBundle(model, tokenizer: false, precision: .f32), length: length)
        } else {
            try PositionFigure.svg(kind: kind, dimension: dModel, length: length, heads: heads)
        }
        try AtomicFile.write(Data(svg.utf8), to: out)
        print("wrote \(out)")
    }
}
