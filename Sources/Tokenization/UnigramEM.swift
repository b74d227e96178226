// The EM loop of Unigram training (sentencepiece/src/unigram_model_trainer.cc): the E step
// sums each piece's expected count over every word's lattice, the M step re-estimates the
// scores with SentencePiece's Bayesian (digamma) update, and pruning drops the pieces whose
// removal costs the corpus likelihood least.
import Dispatch
import Foundation

/// The Unigram model while it is trained: each piece is one of its occurrences in the corpus text.
struct UnigramTrainingModel {
    let corpus: UnigramCorpus
    private(set) var position: [Int32]
    private(set) var length: [Int32]
    private(set) var score: [Double]
    private(set) var charPiece: [Int32]
    private var occurrences: PieceOccurrences
    let threads: Int

    init(corpus: UnigramCorpus, seeds: UnigramSeeds, threads: Int) {
        self.corpus = corpus
        position = seeds.position
        length = seeds.length
        score = seeds.logProbability
        charPiece = seeds.charPiece
        occurrences = seeds.occurrences
        self.threads = max(1, threads)
    }

    var count: Int { score.count }
    var minScore: Double { score.min() ?? 0 }

    private func withLattice<R>(_ body: (LatticeModel) -> R) -> R {
        corpus.text.withUnsafeBufferPointer { text in
            charPiece.withUnsafeBufferPointer { charPiece in
                occurrences.start.withUnsafeBufferPointer { start in
                    occurrences.piece.withUnsafeBufferPointer { piece in
                        occurrences.length.withUnsafeBufferPointer { length in
                            score.withUnsafeBufferPointer { score in
                                body(LatticeModel(text: text, charPiece: charPiece,
                                                  occurrences: PieceOccurrencesView(start: start, piece: piece, length: length),
                                                  score: score, unkScore: minScore - 10))
                            }
                        }
                    }
                }
            }
        }
    }

    /// Runs `body(thread, items of that thread)` over 0..<n, item i on thread i % threads.
    private func parallel(_ n: Int, _ body: (Int, StrideTo<Int>) -> Void) {
        let threads = self.threads
        DispatchQueue.concurrentPerform(iterations: threads) { t in body(t, stride(from: t, to: n, by: threads)) }
    }

    /// E step: the expected count of every piece and the log-likelihood of the corpus.
    func expectedCounts() -> (expected: [Double], logLikelihood: Double) {
        let words = corpus.wordCount.count
        var perThread = [[Int64]](repeating: [], count: threads)
        var logZ = [Double](repeating: 0, count: words)
        withLattice { model in
            perThread.withUnsafeMutableBufferPointer { perThread in
                logZ.withUnsafeMutableBufferPointer { logZ in
                    let out = WorkerBuffer(base: perThread), z = WorkerBuffer(base: logZ)
                    let pieces = count
                    parallel(words) { t, mine in
                        var lattice = TrainingLattice()
                        var expected = [Int64](repeating: 0, count: pieces)
                        expected.withUnsafeMutableBufferPointer { e in
                            for w in mine {
                                z.base[w] = lattice.accumulateExpected(model, from: Int(corpus.wordStart[w]), to: Int(corpus.wordStart[w + 1]) - 1,
                                                                       count: corpus.wordCount[w], into: e.baseAddress!)
                            }
                        }
                        out.base[t] = expected
                    }
                }
            }
        }
        var total = perThread[0]
        for more in perThread.dropFirst() { for i in total.indices { total[i] &+= more[i] } }
        var logLikelihood = 0.0
        for w in 0..<words { logLikelihood += Double(corpus.wordCount[w]) * logZ[w] }
        return (total.map { Double($0) / expectedCountScale }, logLikelihood)
    }

    /// M step (spm's `RunMStep`): pieces expected fewer than 0.5 times are dropped; the others
    /// score digamma(count) − digamma(total), a Bayesian estimate that acts as a sparse prior.
    mutating func maximize(_ expected: [Double]) {
        let keep = expected.map { $0 >= 0.5 }
        let total = zip(expected, keep).reduce(0.0) { $1.1 ? $0 + $1.0 : $0 }
        let logTotal = UnigramTrainingModel.digamma(total)
        compact(keep, scores: zip(expected, keep).map { $1 ? UnigramTrainingModel.digamma($0) - logTotal : 0 })
    }

    /// Pruning (spm's `PruneSentencePieces`): pieces that their own best segmentation splits,
    /// or that no word's Viterbi path uses, go; of the others, those whose replacement by their
    /// second-best segmentation loses the least likelihood go, down to
    /// max(`desiredSize`, `shrinkingFactor` × size). Returns false if nothing could be removed.
    mutating func prune(desiredSize: Int, shrinkingFactor: Double) -> Bool {
        // A piece's alternative has at most one piece per character.
        let n = count, maxPath = Int(length.max() ?? 1)
        var alwaysKeep = [Bool](repeating: true, count: n)
        var alternatives = [Int32](repeating: 0, count: n * maxPath)
        var alternativeCount = [Int](repeating: 0, count: n)
        var perThread = [[Int64]](repeating: [], count: threads)
        withLattice { model in
            alwaysKeep.withUnsafeMutableBufferPointer { keep in
                alternatives.withUnsafeMutableBufferPointer { alt in
                    alternativeCount.withUnsafeMutableBufferPointer { altCount in
                        let keep = WorkerBuffer(base: keep), alt = WorkerBuffer(base: alt)
                        let altCount = WorkerBuffer(base: altCount)
                        parallel(n) { _, mine in
                            var lattice = TrainingLattice()
                            var path: [Int32] = []
                            for k in mine where length[k] >= 2 {
                                let s = Int(position[k])
                                let other = lattice.viterbi(model, from: s, to: s + Int(length[k]), withoutWhole: true, path: &path)
                                if other > model.score[k] {
                                    keep.base[k] = false
                                } else {
                                    for (j, piece) in path.enumerated() { alt.base[k * maxPath + j] = piece }
                                    altCount.base[k] = path.count
                                }
                            }
                        }
                    }
                }
            }
            perThread.withUnsafeMutableBufferPointer { perThread in
                let out = WorkerBuffer(base: perThread), pieces = count
                parallel(corpus.wordCount.count) { t, mine in
                    var lattice = TrainingLattice()
                    var path: [Int32] = []
                    var freq = [Int64](repeating: 0, count: pieces)
                    for w in mine {
                        _ = lattice.viterbi(model, from: Int(corpus.wordStart[w]), to: Int(corpus.wordStart[w + 1]) - 1,
                                            withoutWhole: false, path: &path)
                        for piece in path where piece >= 0 { freq[Int(piece)] += corpus.wordCount[w] }
                    }
                    out.base[t] = freq
                }
            }
        }
        var freq = perThread[0]
        for more in perThread.dropFirst() { for i in freq.indices { freq[i] += more[i] } }
        let wordTotal = Double(corpus.wordCount.reduce(0, +))
        let sum = Double(freq.reduce(0, +))
        let logSum = log(sum)

        var keep = [Bool](repeating: false, count: n)
        var kept = 0
        var candidates: [(piece: Int, loss: Double)] = []
        for k in 0..<n where freq[k] > 0 && alwaysKeep[k] {
            let f = Double(freq[k])
            if alternativeCount[k] == 0 {
                keep[k] = true
                kept += 1
                continue
            }
            // Removing piece k hands its f occurrences to each of its alternatives.
            let alts = alternatives[(k * maxPath)..<(k * maxPath + alternativeCount[k])]
            let logSumAlt = log(sum + f * Double(alts.count - 1))
            var logProbAlt = 0.0
            for a in alts { logProbAlt += log((a >= 0 ? Double(freq[Int(a)]) : 0) + f) - logSumAlt }
            candidates.append((k, f / wordTotal * (log(f) - logSum - logProbAlt)))
        }
        let target = max(desiredSize, Int(shrinkingFactor * Double(n)))
        candidates.sort { $0.loss != $1.loss ? $0.loss > $1.loss : $0.piece < $1.piece }
        for c in candidates where kept < target {
            keep[c.piece] = true
            kept += 1
        }
        guard kept < n else { return false }
        compact(keep, scores: score)
        return true
    }

    /// Keeps the pieces with `keep[i]` (in order, renumbered), with scores `scores[i]`, and
    /// drops the occurrences of the others.
    private mutating func compact(_ keep: [Bool], scores: [Double]) {
        var newID = [Int32](repeating: -1, count: count)
        var next: Int32 = 0
        var newPosition: [Int32] = [], newLength: [Int32] = [], newScore: [Double] = []
        for k in 0..<count where keep[k] {
            newID[k] = next
            next += 1
            newPosition.append(position[k]); newLength.append(length[k]); newScore.append(scores[k])
        }
        position = newPosition; length = newLength; score = newScore
        charPiece = charPiece.map { $0 >= 0 ? newID[Int($0)] : -1 }
        var start = occurrences.start, piece: [Int32] = [], lengths: [UInt8] = []
        piece.reserveCapacity(occurrences.piece.count)
        lengths.reserveCapacity(occurrences.piece.count)
        for p in 0..<(start.count - 1) {
            let range = Int(occurrences.start[p])..<Int(occurrences.start[p + 1])
            start[p] = Int32(piece.count)
            for k in range where newID[Int(occurrences.piece[k])] >= 0 {
                piece.append(newID[Int(occurrences.piece[k])])
                lengths.append(occurrences.length[k])
            }
        }
        start[start.count - 1] = Int32(piece.count)
        occurrences = PieceOccurrences(start: start, piece: piece, length: lengths)
    }

    /// ψ(x) by recurrence up to 7 and the asymptotic series (as spm computes it).
    static func digamma(_ x: Double) -> Double {
        var x = x, result = 0.0
        while x < 7 { result -= 1 / x; x += 1 }
        x -= 0.5
        let xx = 1 / x, xx2 = xx * xx, xx4 = xx2 * xx2
        return result + log(x) + xx2 / 24 - 7 / 960 * xx4 + 31 / 8064 * xx4 * xx2 - 127 / 30720 * xx4 * xx4
    }
}
