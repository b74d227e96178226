// The lattice of one word under the Unigram model being trained (SentencePiece's `Lattice`
// as the trainer uses it): forward-backward for the expected count of each piece (the E step),
// Viterbi for pruning, and the best segmentation of a piece without the piece itself (what
// replaces it if it is removed). Its edges come from the trainer's lists of piece occurrences
// rather than a trie; the encoding-side Viterbi of the Unigram model (spm branch) is separate.
import Foundation

/// The model as the lattice reads it; valid while the arrays it points into are.
struct LatticeModel {
    let text: UnsafeBufferPointer<Int32>
    /// Piece of each character id, or -1 when the character is unknown to the model.
    let charPiece: UnsafeBufferPointer<Int32>
    let occurrences: PieceOccurrencesView
    let score: UnsafeBufferPointer<Double>
    /// An unknown character's score: the lowest piece score minus 10, as spm's `kUnkPenalty`.
    let unkScore: Double
}

struct PieceOccurrencesView {
    let start: UnsafeBufferPointer<Int32>
    let piece: UnsafeBufferPointer<Int32>
    let length: UnsafeBufferPointer<UInt8>
}

/// Expected counts are summed as integers in units of 2⁻²⁴, so the sum does not depend on
/// the order of the words, and training gives the same result on any number of threads.
let expectedCountScale = Double(1 << 24)

@inline(__always)
private func logAdd(_ x: Double, _ y: Double) -> Double {
    let (lo, hi) = x < y ? (x, y) : (y, x)
    if hi - lo > 50 { return hi }
    return hi + log1p(exp(lo - hi))
}

struct TrainingLattice {
    private var alpha: [Double] = []
    private var beta: [Double] = []
    private var backPiece: [Int32] = []
    private var backLength: [Int32] = []

    private mutating func reserve(_ n: Int) {
        if alpha.count <= n {
            alpha = [Double](repeating: 0, count: n + 1)
            beta = [Double](repeating: 0, count: n + 1)
            backPiece = [Int32](repeating: 0, count: n + 1)
            backLength = [Int32](repeating: 0, count: n + 1)
        }
    }

    /// Adds `count` × the posterior probability of each piece occurrence in `text[s ..< e]` to
    /// `expected` (fixed point); returns log Z, the log-likelihood of the word.
    mutating func accumulateExpected(_ m: LatticeModel, from s: Int, to e: Int, count: Int64,
                                     into expected: UnsafeMutablePointer<Int64>) -> Double {
        let n = e - s
        reserve(n)
        let weight = Double(count) * expectedCountScale
        return alpha.withUnsafeMutableBufferPointer { alpha in
            beta.withUnsafeMutableBufferPointer { beta in
                alpha[0] = 0
                for i in 1...n { alpha[i] = -.infinity }
                for i in 0..<n {
                    let a = alpha[i], p = s + i
                    let c = m.charPiece[Int(m.text[p])]
                    alpha[i + 1] = logAdd(alpha[i + 1], a + (c >= 0 ? m.score[Int(c)] : m.unkScore))
                    for k in Int(m.occurrences.start[p])..<Int(m.occurrences.start[p + 1]) {
                        let sc = m.score[Int(m.occurrences.piece[k])]
                        if sc == -.infinity { continue }
                        let j = i + Int(m.occurrences.length[k])
                        alpha[j] = logAdd(alpha[j], a + sc)
                    }
                }
                let z = alpha[n]
                beta[n] = 0
                for i in stride(from: n - 1, through: 0, by: -1) {
                    let base = alpha[i] - z, p = s + i
                    let c = m.charPiece[Int(m.text[p])]
                    var b = (c >= 0 ? m.score[Int(c)] : m.unkScore) + beta[i + 1]
                    if c >= 0 { expected[Int(c)] &+= Int64(weight * exp(base + b) + 0.5) }
                    for k in Int(m.occurrences.start[p])..<Int(m.occurrences.start[p + 1]) {
                        let piece = Int(m.occurrences.piece[k])
                        let sc = m.score[piece]
                        if sc == -.infinity { continue }
                        let t = sc + beta[i + Int(m.occurrences.length[k])]
                        b = logAdd(b, t)
                        expected[piece] &+= Int64(weight * exp(base + t) + 0.5)
                    }
                    beta[i] = b
                }
                return z
            }
        }
    }

    /// The best segmentation of `text[s ..< e]`, leaving out the edge that spans all of it when
    /// `withoutWhole`: its score, and its pieces in `path` (-1 for an unknown character).
    mutating func viterbi(_ m: LatticeModel, from s: Int, to e: Int, withoutWhole: Bool, path: inout [Int32]) -> Double {
        let n = e - s
        reserve(n)
        path.removeAll(keepingCapacity: true)
        let best = alpha.withUnsafeMutableBufferPointer { best in
            backPiece.withUnsafeMutableBufferPointer { backPiece in
                backLength.withUnsafeMutableBufferPointer { backLength in
                    best[0] = 0
                    for i in 1...n { best[i] = -.infinity }
                    for i in 0..<n {
                        let a = best[i], p = s + i
                        let c = m.charPiece[Int(m.text[p])]
                        let cs = a + (c >= 0 ? m.score[Int(c)] : m.unkScore)
                        if cs > best[i + 1] {
                            best[i + 1] = cs; backPiece[i + 1] = c; backLength[i + 1] = 1
                        }
                        for k in Int(m.occurrences.start[p])..<Int(m.occurrences.start[p + 1]) {
                            let l = Int(m.occurrences.length[k])
                            if i + l > n || (withoutWhole && i == 0 && l == n) { continue }
                            let sc = m.score[Int(m.occurrences.piece[k])]
                            if sc == -.infinity { continue }
                            if a + sc > best[i + l] {
                                best[i + l] = a + sc; backPiece[i + l] = m.occurrences.piece[k]; backLength[i + l] = Int32(l)
                            }
                        }
                    }
                    var j = n
                    while j > 0 {
                        path.append(backPiece[j])
                        j -= Int(backLength[j])
                    }
                    return best[n]
                }
            }
        }
        path.reverse()
        return best
    }
}
