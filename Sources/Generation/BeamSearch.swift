// Beam search (the paper, §6.1: beam size 4, length penalty α = 0.6): each sentence keeps its k
// best partial translations; every step extends each by every token, keeps the k best
// extensions that do not end in <eos>, and sets aside as finished those that do and rank among
// the k best. A sentence stops once it has k finished hypotheses (or at its length cap, when
// its live beams count as finished too); then it leaves the batch. Finished hypotheses are
// ranked by log P(Y|X)/lp(Y) with the GNMT length penalty lp(Y) = ((5 + |Y|)/6)^α (Wu et al.,
// 2016), |Y| counting the <eos>. With k = 1 this is greedy decoding exactly.
import Foundation
import Models

public struct BeamSearch: Sendable {
    public var beamSize: Int
    /// α of the GNMT length penalty; 0 ranks by log-probability alone.
    public var lengthPenalty: Float
    /// Hypotheses returned per sentence (at most `beamSize`).
    public var nBest: Int

    public init(beamSize: Int, lengthPenalty: Float = 0.6, nBest: Int = 1) {
        precondition(beamSize >= 1 && nBest >= 1, "BeamSearch: beam size and n-best must be at least 1")
        self.beamSize = beamSize
        self.lengthPenalty = lengthPenalty
        self.nBest = min(nBest, beamSize)
    }

    /// lp(Y) for a hypothesis of `length` tokens.
    public func penalty(length: Int) -> Float {
        lengthPenalty == 0 ? 1 : Float(pow((5 + Double(length)) / 6, Double(lengthPenalty)))
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
        let count = state.rows
        precondition(stopping.maxLengths.count == count, "BeamSearch: \(stopping.maxLengths.count) length caps for \(count) rows")
        var finished = [[Hypothesis]](repeating: [], count: count)
        // Live beams per sentence; rows of `state` hold the active sentences' beams in order.
        var beams = [[Beam]](repeating: [Beam(tokens: [], logProbability: 0)], count: count)
        var active = Array(0..<count).filter { stopping.maxLengths[$0] > 0 }
        if active.count < count { state.select(rows: active) }
        var inputs = [Int32](repeating: bos, count: active.count)
        let eos = Int(stopping.eos)
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
                var candidates: [Candidate] = []
                for (b, beam) in live.enumerated() {
                    let z = logits.data + (firstRow + b) * v
                    // <eos> may not come yet: it gets probability 0.
                    if length <= stopping.minLength { z[eos] = -.infinity }
                    let lse = Kernels.logSumExp(z, v)
                    for (id, logit) in Kernels.top(2 * beamSize, z, v) where logit > -.infinity {
                        candidates.append(Candidate(parent: b, token: id, logProbability: beam.logProbability + (logit - lse)))
                    }
                }
                // Best first; ties to the earlier beam, then the lower token id (as greedy's argmax).
                candidates.sort { ($0.logProbability, $1.parent, $1.token) > ($1.logProbability, $0.parent, $0.token) }
                var next: [Beam] = [], nextParents: [Int] = []
                for (rank, c) in candidates.enumerated() {
                    let tokens = live[c.parent].tokens + [Int32(c.token)]
                    if c.token == eos {
                        if rank < beamSize { finished[sentence].append(hypothesis(tokens, c.logProbability)) }
                    } else if next.count < beamSize {
                        next.append(Beam(tokens: tokens, logProbability: c.logProbability))
                        nextParents.append(firstRow + c.parent)
                    }
                    if next.count == beamSize { break }
                }
                firstRow += live.count
                if finished[sentence].count >= beamSize { continue }
                if length >= stopping.maxLengths[sentence] || next.isEmpty {
                    finished[sentence] += next.map { hypothesis($0.tokens, $0.logProbability) }
                    continue
                }
                beams[sentence] = next
                parentRows += nextParents
                inputs += next.map { $0.tokens[$0.tokens.count - 1] }
                nextActive.append(sentence)
            }
            state.select(rows: parentRows)
            active = nextActive
        }
        return finished.map { list in
            Array(list.enumerated().sorted { ($0.element.score, $1.offset) > ($1.element.score, $0.offset) }
                .prefix(nBest).map(\.element))
        }
    }

    private func hypothesis(_ tokens: [Int32], _ logProbability: Float) -> Hypothesis {
        Hypothesis(tokens: tokens, logProbability: logProbability, score: logProbability / penalty(length: tokens.count))
    }
}
