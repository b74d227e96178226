// Greedy decoding: at each step every unfinished sequence takes its most probable next token,
// fed back as the next input, until <eos> or its length cap. A finished sequence leaves the
// batch (its cache rows are dropped), so each sentence decodes exactly as it would alone.
import Models

public enum GreedySearch {
    /// Decodes each row of `state` (one per sentence) from `bos`; returns one hypothesis per row.
    public static func run(model: StepDecoder, state: IncrementalState, bos: Int32, stopping: StoppingCriteria,
                           renormalize: Bool = false) -> [Hypothesis] {
        run(model: model, state: state, first: [Int32](repeating: bos, count: state.rows), stopping: stopping, renormalize: renormalize)
    }

    /// Decodes each row of `state` from its own first input `first[row]` (a decoder-only prompt's last
    /// token, the rest of the prompt being in `state` already). Suppressed tokens are never chosen;
    /// `renormalize` reports log-probabilities renormalised without them.
    public static func run(model: StepDecoder, state: IncrementalState, first: [Int32], stopping: StoppingCriteria,
                           renormalize: Bool = false) -> [Hypothesis] {
        let count = state.rows
        precondition(stopping.maxLengths.count == count && first.count == count,
                     "GreedySearch: \(stopping.maxLengths.count) length caps and \(first.count) first tokens for \(count) rows")
        var results = [Hypothesis](repeating: Hypothesis(tokens: [], logProbability: 0, score: 0), count: count)
        var active = Array(0..<count).filter { stopping.maxLengths[$0] > 0 }
        if active.count < count { state.select(rows: active) }
        var last = active.map { first[$0] }
        let eos = Int(stopping.eos)
        let suppressed = model.suppressedTokens
        while !active.isEmpty {
            let logits = model.decodeStep(Tensor(ints: last, shape: [active.count, 1]), state: state)
            // Rows are read through raw pointers: keep `logits` alive for the whole step.
            defer { withExtendedLifetime(logits) {} }
            let v = logits.shape[1]
            var keep: [Int] = []
            for (row, sentence) in active.enumerated() {
                let z = logits.data + row * v
                // Suppressed ids, <eos> before the minimum length and, at the cap, all but a forced token get probability 0.
                let length = results[sentence].tokens.count + 1
                let lse = normaliser(z, v, suppressing: suppressed, renormalize: renormalize,
                                     blocking: stopping.blocksEOS(length: length, sentence: sentence) ? eos : nil,
                                     forcing: stopping.forced(length: length, sentence: sentence))
                let token = Kernels.top(1, z, v)[0].id
                results[sentence].tokens.append(Int32(token))
                results[sentence].logProbability += z[token] - lse
                if token != eos && results[sentence].tokens.count < stopping.maxLengths[sentence] {
                    keep.append(row)
                    last[keep.count - 1] = Int32(token)
                }
            }
            if keep.count < active.count {
                state.select(rows: keep)
                active = keep.map { active[$0] }
                last.removeLast(last.count - keep.count)
            }
        }
        for i in results.indices { results[i].score = results[i].logProbability }
        return results
    }
}
