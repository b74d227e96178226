// Beam search (the paper, §6.1: beam size 4, length penalty α = 0.6): each sentence keeps its k
// best partial translations; every step extends each by every token, keeps the k best
// extensions that do not end in <eos>, and sets aside as finished those that do and rank among
// the k best. A sentence stops once it has k finished hypotheses (or at its length cap, when
// its live beams count as finished too); then it leaves the batch. Finished hypotheses are
// ranked by log P(Y|X)/lp(Y) with the GNMT length penalty lp(Y) = ((5 + |Y|)/6)^α (Wu et al.,
// 2016), |Y| counting the <eos>. With k = 1 this is greedy decoding exactly.
// transformers' beam search differs in two ways, both available here for parity with it:
// lp(Y) = |Y|^α (`LengthNormalization.power`, its `length_penalty`, default α = 1), and a sentence
// goes on after k finished hypotheses while its best live beam, scored at its current length,
// would still beat the worst of them (`BeamStopping.noBetterHypothesis`, its `early_stopping=False`);
// only the k best finished hypotheses are kept, and at the length cap the k best candidates finish.
import Foundation
import Models

/// How a hypothesis's log-probability is divided by its length |Y| (tokens, <eos> included).
public enum LengthNormalization: String, Sendable, CaseIterable {
    /// ((5 + |Y|)/6)^α, GNMT's (Wu et al., 2016): this package's default.
    case gnmt
    /// |Y|^α: transformers' `length_penalty`, fairseq's `--lenpen`, Marian's `--normalize`.
    case power
}

/// When a sentence's beam search ends.
public enum BeamStopping: String, Sendable, CaseIterable {
    /// As soon as it has k finished hypotheses (transformers' `early_stopping=True`).
    case beamsFinished
    /// When no live beam, scored at its current length, beats the worst of k finished hypotheses
    /// (transformers' default, `early_stopping=False`).
    case noBetterHypothesis
}

public struct BeamSearch: Sendable {
    public var beamSize: Int
    /// α of the length penalty; 0 ranks by log-probability alone.
    public var lengthPenalty: Float
    /// Hypotheses returned per sentence (at most `beamSize`).
    public var nBest: Int
    public var normalization: LengthNormalization
    public var stopping: BeamStopping
    /// Log-probabilities renormalised without the suppressed tokens (transformers' `renormalize_logits`).
    public var renormalize: Bool

    public init(beamSize: Int, lengthPenalty: Float = 0.6, nBest: Int = 1, normalization: LengthNormalization = .gnmt,
                stopping: BeamStopping = .beamsFinished, renormalize: Bool = false) {
        precondition(beamSize >= 1 && nBest >= 1, "BeamSearch: beam size and n-best must be at least 1")
        self.beamSize = beamSize
        self.lengthPenalty = lengthPenalty
        self.nBest = min(nBest, beamSize)
        self.normalization = normalization
        self.stopping = stopping
        self.renormalize = renormalize
    }

    /// lp(Y) for a hypothesis of `length` tokens.
    public func penalty(length: Int) -> Float {
        if lengthPenalty == 0 { return 1 }
        switch normalization {
        case .gnmt: return Float(pow((5 + Double(length)) / 6, Double(lengthPenalty)))
        case .power: return Float(pow(Double(length), Double(lengthPenalty)))
        }
    }

    private struct Beam {
        var tokens: [Int32]
        var logProbability: Float
    }

    private struct Candidate {
        let parent: Int        // index into the sentence's beams
        let token: Int
        let logProbability: Float
    }

    /// Decodes each row of `state` (one per sentence) from `bos`; returns each sentence's
    /// n-best hypotheses, best first.
    public func run(model: StepDecoder, state: IncrementalState, bos: Int32, stopping: StoppingCriteria) -> [[Hypothesis]] {
        run(model: model, state: state, first: [Int32](repeating: bos, count: state.rows), stopping: stopping)
    }

    /// Decodes each row of `state` from its own first input `first[row]` (a decoder-only prompt's
    /// last token, the rest of the prompt being in `state` already).
    public func run(model: StepDecoder, state: IncrementalState, first: [Int32], stopping: StoppingCriteria) -> [[Hypothesis]] {
        let count = state.rows
        precondition(stopping.maxLengths.count == count && first.count == count,
                     "BeamSearch: \(stopping.maxLengths.count) length caps and \(first.count) first tokens for \(count) rows")
        var finished = [[Hypothesis]](repeating: [], count: count)
        // Live beams per sentence; rows of `state` hold the active sentences' beams in order.
        var beams = [[Beam]](repeating: [Beam(tokens: [], logProbability: 0)], count: count)
        var active = Array(0..<count).filter { stopping.maxLengths[$0] > 0 }
        if active.count < count { state.select(rows: active) }
        var inputs = active.map { first[$0] }
        let eos = Int(stopping.eos)
        let suppressed = model.suppressedTokens
        let keepBest = self.stopping == .noBetterHypothesis
        while !active.isEmpty {
            let logits = model.decodeStep(Tensor(ints: inputs, shape: [inputs.count, 1]), state: state)
            // Rows are read through raw pointers: keep `logits` alive for the whole step.
            defer { withExtendedLifetime(logits) {} }
            let v = logits.shape[1]
            var parentRows: [Int] = [], nextActive: [Int] = []
            inputs.removeAll(keepingCapacity: true)
            var firstRow = 0
            for sentence in active {
                let live = beams[sentence]
                let length = live[0].tokens.count + 1
                let capped = length >= stopping.maxLengths[sentence]
                var candidates: [Candidate] = []
                for (b, beam) in live.enumerated() {
                    let z = logits.data + (firstRow + b) * v
                    // Suppressed ids, <eos> before the minimum length and, at the cap, all but a forced token get probability 0.
                    let lse = normaliser(z, v, suppressing: suppressed, renormalize: renormalize,
                                         blocking: stopping.blocksEOS(length: length, sentence: sentence) ? eos : nil,
                                         forcing: stopping.forced(length: length, sentence: sentence))
                    for (id, logit) in Kernels.top(2 * beamSize, z, v) where logit > -.infinity {
                        candidates.append(Candidate(parent: b, token: id, logProbability: beam.logProbability + (logit - lse)))
                    }
                }
                // Best first; ties to the earlier beam, then the lower token id (as greedy's argmax).
                candidates.sort { ($0.logProbability, $1.parent, $1.token) > ($1.logProbability, $0.parent, $0.token) }
                var next: [Beam] = [], nextParents: [Int] = []
                for (rank, c) in candidates.enumerated() {
                    let tokens = live[c.parent].tokens + [Int32(c.token)]
                    if c.token == eos || (keepBest && capped) {
                        if rank < beamSize { finished[sentence].append(hypothesis(tokens, c.logProbability)) }
                    } else if next.count < beamSize {
                        next.append(Beam(tokens: tokens, logProbability: c.logProbability))
                        nextParents.append(firstRow + c.parent)
                    }
                    if next.count == beamSize || (keepBest && capped && rank + 1 >= beamSize) { break }
                }
                firstRow += live.count
                if keepBest {
                    finished[sentence] = Array(ranked(finished[sentence]).prefix(beamSize))
                    if capped || next.isEmpty || !canImprove(finished[sentence], best: next[0], length: length) { continue }
                } else {
                    if finished[sentence].count >= beamSize { continue }
                    if capped || next.isEmpty {
                        finished[sentence] += next.map { hypothesis($0.tokens, $0.logProbability) }
                        continue
                    }
                }
                beams[sentence] = next
                parentRows += nextParents
                inputs += next.map { $0.tokens[$0.tokens.count - 1] }
                nextActive.append(sentence)
            }
            state.select(rows: parentRows)
            active = nextActive
        }
        return finished.map { Array(ranked($0).prefix(nBest)) }
    }

    /// Best score first; equal scores in the order they finished.
    private func ranked(_ list: [Hypothesis]) -> [Hypothesis] {
        list.enumerated().sorted { ($0.element.score, $1.offset) > ($1.element.score, $0.offset) }.map(\.element)
    }

    /// transformers' heuristic: fewer than k finished, or the best live beam scored at its current
    /// length beats the worst finished one.
    private func canImprove(_ finished: [Hypothesis], best: Beam, length: Int) -> Bool {
        guard finished.count >= beamSize, let worst = finished.last?.score else { return true }
        return best.logProbability / penalty(length: length) > worst
    }

    private func hypothesis(_ tokens: [Int32], _ logProbability: Float) -> Hypothesis {
        Hypothesis(tokens: tokens, logProbability: logProbability, score: logProbability / penalty(length: tokens.count))
    }
}
