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
            MODEL is one of our decoder-only model directories or a Hugging Face GPT-2 or Llama one (config.json, \
            the weights, tokenizer.json or tokenizer.model, generation_config.json); without --model, the bundled \
            character-level Tiny Shakespeare model. A prompt is encoded behind what the tokenizer puts first (<bos> \
            for our BPE tokenizers, nothing for a character-level one, Llama's <s>, nothing for GPT-2). A model with \
            learned positions sees the last max_len tokens once the text is longer, as nanoGPT samples. Generation stops at \
            <eos> (any of generation_config.json's eos_token_id) or after --max-tokens tokens. --temperature 0 is \
            greedy decoding. Flags left out take generation_config.json's do_sample, temperature, top_k, top_p and \
            max_new_tokens (or max_length) where it sets them. The prompt is printed first, then the continuation.
            """)

    @Option(help: "Model directory (ours, or a Hugging Face GPT-2 or Llama directory; default: the bundled \(BundledModel.languageModelPath)).")
    var model: String?

    @Option(help: "Text to continue (default: a newline).")
    var prompt = "\n"

    @Option(help: "Most tokens to generate (default: the model's max_new_tokens or max_length, else 100).")
    var maxTokens: Int?

    @Option(help: "Sampling temperature (0: greedy; default 1, or the model's generation_config.json).")
    var temperature: Float?

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

    @Option(help: InferencePrecision.help)
    var precision: InferencePrecision?

    func validate() throws {
        if let maxTokens, !(maxTokens >= 0 && maxTokens <= 1_000_000) { throw ValidationError("--max-tokens must be in 0...1000000") }
        if let temperature, !(temperature.isFinite && temperature >= 0) { throw ValidationError("--temperature must be a finite number ≥ 0") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
        guard maxInputLength >= 2 && maxInputLength <= 1_000_000 else { throw ValidationError("--max-input-length must be in 2...1000000") }
    }

    func run() throws {
        if let threads { ThreadPool.shared.threadCount = threads }
        let loaded = try loadBundle(model ?? BundledModel.locate(BundledModel.languageModelPath), precision: precision)
        let lm = try loaded.decoderOnly(for: "generate")
        let tokenizer = try loaded.requireTokenizer(for: "generate")
        let limit = InputLengthLimit(maxTokens: maxInputLength)
        let (ids, originalCount) = try loaded.promptIDs(prompt, limit: limit)
        if let originalCount { warnTruncated("--prompt", originalCount, limit.maxTokens) }
        let defaults = loaded.samplingDefaults
        var sampler = Sampler(temperature: temperature ?? defaults.temperature, topK: topK ?? defaults.topK, topP: topP ?? defaults.topP,
                              seed: seed ?? UInt64.random(in: 0...UInt64.max))
        var stream = TextStream(tokenizer: tokenizer, prompt: ids)
        FileHandle.standardOutput.write(Data(stream.shown.utf8))
        let budget = maxTokens ?? min(loaded.maxNewTokensDefault(promptLength: ids.count) ?? 100, 1_000_000)
        LanguageModelGeneration.run(model: lm, prompt: ids, maxNewTokens: budget, sampler: &sampler, stopTokens: loaded.stopTokens,
                                    slidingWindow: true) { token in
            FileHandle.standardOutput.write(Data(stream.append(token).utf8))
            return true
        }
        FileHandle.standardOutput.write(Data((stream.finish() + "\n").utf8))
    }
}
