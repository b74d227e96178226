import ArgumentParser
import Tokenization

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenizer", abstract: "BPE tokenizer (placeholder).")
    func run() throws {}
}
