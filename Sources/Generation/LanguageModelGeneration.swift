// Text generation with a decoder-only model: the prompt goes through the decoder in one pass
// (filling the KV cache), then one token at a time is fed back until <eos> or the token budget:
// sampled and handed to a callback as it comes (streaming), or chosen by greedy or beam search.
import Models

public enum LanguageModelGeneration {
    /// Generates up to `maxNewTokens` tokens after `prompt` (which must not be empty); stops early
    /// at `eos` (not passed on) or when `onToken` returns false. Returns the generated tokens.
    /// The model's suppressed tokens are never drawn.
    @discardableResult
    public static func run(model: DecoderOnlyModel, prompt: [Int32], maxNewTokens: Int, sampler: inout Sampler,
                           eos: Int32?, onToken: (Int32) -> Bool = { _ in true }) -> [Int32] {
        run(model: model, prompt: prompt, maxNewTokens: maxNewTokens, sampler: &sampler, stopTokens: Set(eos.map { [$0] } ?? []),
            onToken: onToken)
    }

    /// The same, stopping at any of `stopTokens` (Llama 3 ends at several).
    @discardableResult
    public static func run(model: DecoderOnlyModel, prompt: [Int32], maxNewTokens: Int, sampler: inout Sampler,
                           stopTokens: Set<Int32>, onToken: (Int32) -> Bool = { _ in true }) -> [Int32] {
        precondition(!prompt.isEmpty, "LanguageModelGeneration: empty prompt")
        var budget = maxNewTokens
        if let limit = model.positionLimit { budget = min(budget, limit - prompt.count) }
        guard budget > 0 else { return [] }
        let suppressed = model.suppressedTokens
        return withNoGrad {
            let state = model.startDecoding(rows: 1, capacity: prompt.count + budget)
            var input = prompt
            var out: [Int32] = []
            while out.count < budget {
                var logits = model.decodeStep(Tensor(ints: input, shape: [1, input.count]), state: state).scalars
                for id in suppressed where Int(id) < logits.count { logits[Int(id)] = -.infinity }
                let token = sampler.sample(logits)
                if stopTokens.contains(token) { break }
                out.append(token)
                if !onToken(token) { break }
                input = [token]
            }
            return out
        }
    }

    /// Greedy decoding (`beam` nil) or beam search after each prompt (none empty): each prompt's
    /// n-best continuations (new tokens, with the <eos> when one ends them), in input order.
    /// Prompts of the same length are decoded together; each decodes as it would alone.
    public static func search(model: DecoderOnlyModel, prompts: [[Int32]], maxNewTokens: Int, eos: Int32,
                              beam: BeamSearch? = nil, renormalize: Bool = false) -> [[Hypothesis]] {
        precondition(prompts.allSatisfy { !$0.isEmpty }, "LanguageModelGeneration: empty prompt")
        var results = [[Hypothesis]](repeating: [], count: prompts.count)
        for length in Set(prompts.map(\.count)).sorted() {
            let group = prompts.indices.filter { prompts[$0].count == length }
            let budget = max(0, min(maxNewTokens, (model.positionLimit ?? Int.max) - length))
            let stopping = StoppingCriteria(eos: eos, maxLengths: [Int](repeating: budget, count: group.count))
            let found: [[Hypothesis]] = withNoGrad {
                let state = model.startDecoding(rows: group.count, capacity: length + budget)
                // All but the last prompt token fill the cache; the search feeds the last one first.
                if length > 1 {
                    let prefix = group.flatMap { prompts[$0].dropLast() }
                    _ = model.decodeStep(Tensor(ints: prefix, shape: [group.count, length - 1]), state: state)
                }
                let first = group.map { prompts[$0][length - 1] }
                guard let beam else {
                    return GreedySearch.run(model: model, state: state, first: first, stopping: stopping, renormalize: renormalize).map { [$0] }
                }
                return beam.run(model: model, state: state, first: first, stopping: stopping)
            }
            for (i, out) in zip(group, found) { results[i] = out }
        }
        return results
    }
}
