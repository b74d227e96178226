// `transformer generate`: samples a continuation of a prompt from a decoder-only model,
// printing text as tokens come (temperature, top-k, top-p; a seed fixes the output).
import ArgumentParser
import Foundation
import Generation
import Models

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text after a prompt with a decoder-only model, streaming tokens as they come.",
        discussion: """
            The prompt is encoded after <bos>; generation stops at <eos> or after --max-tokens tokens. \
            --temperature 0 is greedy decoding. The prompt is printed first, then the continuation.
            """)

    @Option(help: "Model directory (config.json, weights.safetensors, tokenizer.json).")
    var model: String

    @Option(help: "Text to continue.")
    var prompt: String

    @Option(help: "Most tokens to generate.")
    var maxTokens = 100

    @Option(help: "Sampling temperature (0: greedy).")
    var temperature: Float = 1

    @Option(help: "Sample only among the K most probable tokens.")
    var topK: Int?

    @Option(help: "Sample only among the most probable tokens whose probability adds up to P (nucleus).")
    var topP: Float?

    @Option(help: "Random seed (default: a random one).")
    var seed: UInt64?

    @Option(help: "Longest prompt in tokens (with <bos>); a longer one is cut to it, with a warning.")
    var maxInputLength = InputLengthLimit.defaultTokens

    @Option(help: "Threads (default: TRANSFORMER_THREADS or the core count).")
    var threads: Int?

    func validate() throws {
        guard maxTokens >= 0 && maxTokens <= 1_000_000 else { throw ValidationError("--max-tokens must be in 0...1000000") }
        guard temperature.isFinite && temperature >= 0 else { throw ValidationError("--temperature must be a finite number ≥ 0") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
        guard maxInputLength >= 2 && maxInputLength <= 1_000_000 else { throw ValidationError("--max-input-length must be in 2...1000000") }
    }

    func run() throws {
        if let threads { ThreadPool.shared.threadCount = threads }
        let loaded = try DecodingModel(directory: model)
        let lm = try loaded.decoderOnly(for: "generate")
        let limit = InputLengthLimit(maxTokens: maxInputLength)
        let (ids, originalCount) = limit.apply([Int32(loaded.config.bosId)] + loaded.tokenizer.encode(prompt))
        if let originalCount { warnTruncated("--prompt", originalCount, limit) }
        if let limit = lm.positionLimit, ids.count >= limit {
            throw DecodingCommandError("the prompt has \(ids.count) tokens; this model has positions for \(limit)")
        }
        var sampler = Sampler(temperature: temperature, topK: topK, topP: topP, seed: seed ?? UInt64.random(in: 0...UInt64.max))
        var all = ids
        var shown = loaded.tokenizer.decode(ids)
        FileHandle.standardOutput.write(Data(shown.utf8))
        LanguageModelGeneration.run(model: lm, prompt: ids, maxNewTokens: maxTokens, sampler: &sampler,
                                    eos: Int32(loaded.config.eosId)) { token in
            all.append(token)
            // Decode the whole text and print what is new: a byte-level token may end inside a
            // character, which then waits for the next token.
            let text = loaded.tokenizer.decode(all)
            if !text.hasSuffix("\u{FFFD}") && text.hasPrefix(shown) {
                FileHandle.standardOutput.write(Data(text.dropFirst(shown.count).utf8))
                shown = text
            }
            return true
        }
        let text = loaded.tokenizer.decode(all)
        if text.hasPrefix(shown) { FileHandle.standardOutput.write(Data(text.dropFirst(shown.count).utf8)) }
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}
