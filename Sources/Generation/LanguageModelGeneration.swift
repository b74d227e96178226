// Text generation with a decoder-only model: the prompt goes through the decoder in one pass
// (filling the KV cache), then one sampled token at a time is fed back until <eos> or the
// token budget; each token is handed to a callback as it comes, for streaming.
import Models

public enum LanguageModelGeneration {
    /// Generates up to `maxNewTokens` tokens after `prompt` (which must not be empty); stops early
    /// at `eos` (not passed on) or when `onToken` returns false. Returns the generated tokens.
    @discardableResult
    public static func run(model: DecoderOnlyModel, prompt: [Int32], maxNewTokens: Int, sampler: inout Sampler,
                           eos: Int32?, onToken: (Int32) -> Bool = { _ in true }) -> [Int32] {
        precondition(!prompt.isEmpty, "LanguageModelGeneration: empty prompt")
        var budget = maxNewTokens
        if let limit = model.positionLimit { budget = min(budget, limit - prompt.count) }
        guard budget > 0 else { return [] }
        return withNoGrad {
            let state = model.startDecoding(rows: 1, capacity: prompt.count + budget)
            var input = prompt
            var out: [Int32] = []
            while out.count < budget {
                let logits = model.decodeStep(Tensor(ints: input, shape: [1, input.count]), state: state)
                let token = sampler.sample(logits.scalars)
                if token == eos { break }
                out.append(token)
                if !onToken(token) { break }
                input = [token]
            }
            return out
        }
    }
}
