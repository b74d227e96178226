/// The unigram language model (Kudo, "Subword Regularization", 2018): every piece has a score
/// (its log-probability), and a text is cut into the pieces whose scores sum highest — Viterbi
/// over the lattice of all pieces found at each position (by walking a trie), with an unknown
/// piece for any character no single piece covers. This is SentencePiece's `EncodeOptimized`
/// and Hugging Face's `encode_optimized`; the two differ in the precision of path scores
/// (`float` in spm, `f64` in Hugging Face), which decides ties, so each is reproduced exactly.
struct UnigramModel: Sendable {
    /// Token string (UTF-8) of each id.
    let tokens: [[UInt8]]
    /// The score of each id as written in the vocabulary.
    let scores: [Double]
    /// The score each id gets in the lattice (spm's user-defined pieces get a bonus), in the
    /// precision paths are scored in: one of the two is empty.
    private let floatScores: [Float]
    private let doubleScores: [Double]
    /// The pieces the lattice may use, mapped to their ids.
    private let trie: DoubleArrayTrie
    let unkID: Int32?
    private let unkScore: Double
    /// With byte fallback, the id of `<0xXX>` for each byte (-1 where the vocabulary lacks it).
    let byteIDs: [Int32]?

    /// - Parameters:
    ///   - latticeIDs: the ids whose pieces enter the lattice (a piece listed twice keeps its later id).
    ///   - latticeScores: the score of each id in the lattice.
    ///   - unkScore: the score of an unknown character.
    ///   - floatPaths: score paths in `float`, as spm does (else in `f64`, as Hugging Face).
    init(tokens: [[UInt8]], scores: [Double], latticeIDs: [Int32], latticeScores: [Double], unkID: Int32?,
         unkScore: Double, floatPaths: Bool, byteIDs: [Int32]?) {
        self.tokens = tokens
        self.scores = scores
        floatScores = floatPaths ? latticeScores.map { Float($0) } : []
        doubleScores = floatPaths ? [] : latticeScores
        trie = DoubleArrayTrie(keys: latticeIDs.map { (tokens[Int($0)], $0) })
        self.unkID = unkID
        self.unkScore = unkScore
        self.byteIDs = byteIDs
    }

    /// The id of a piece in the lattice's dictionary.
    func latticeID(of piece: UnsafeBufferPointer<UInt8>) -> Int32? { trie.value(of: piece) }

    /// Fills `scratch.path` with the best segmentation of `text`: (start, end, id) in order, where
    /// id is `unkID` (or -1 without one) for an unknown character.
    func viterbi(_ text: UnsafeBufferPointer<UInt8>, _ scratch: inout UnigramScratch) {
        scratch.reset(text.count)
        scratch.from.withUnsafeMutableBufferPointer { from in
            scratch.ids.withUnsafeMutableBufferPointer { ids in
                if doubleScores.isEmpty {
                    floatScores.withUnsafeBufferPointer { scores in
                        scratch.floatBest.withUnsafeMutableBufferPointer { viterbi(text, scores, $0, Float(unkScore), from, ids) }
                    }
                } else {
                    doubleScores.withUnsafeBufferPointer { scores in
                        scratch.doubleBest.withUnsafeMutableBufferPointer { viterbi(text, scores, $0, unkScore, from, ids) }
                    }
                }
            }
        }
        scratch.backtrack(text.count)
    }

    /// The best path ending at each position: its score in `best`, where its last piece starts in
    /// `from` (-1: none yet) and that piece's id in `ids`. A candidate replaces the best only when
    /// strictly better, so the first of equal paths stays.
    @inline(__always)
    private func viterbi<Score: BinaryFloatingPoint>(_ text: UnsafeBufferPointer<UInt8>, _ scores: UnsafeBufferPointer<Score>,
                                                      _ best: UnsafeMutableBufferPointer<Score>, _ unkScore: Score,
                                                      _ from: UnsafeMutableBufferPointer<Int32>, _ ids: UnsafeMutableBufferPointer<Int32>) {
        let n = text.count
        let unk = unkID ?? -1
        trie.units.withUnsafeBufferPointer { u in
            var start = 0
            while start < n {
                let base = best[start]
                let charLength = min(SentencePieceUTF8.oneCharLength(text[start]), n - start)
                var hasSingleNode = false
                var s = 0, k = start
                while k < n {
                    s = DoubleArrayTrie.child(u, s, text[k])
                    if s < 0 { break }
                    k += 1
                    let id = u[s].value
                    guard id >= 0 else { continue }
                    let candidate = scores[Int(id)] + base
                    if from[k] < 0 || candidate > best[k] {
                        best[k] = candidate
                        from[k] = Int32(start)
                        ids[k] = id
                    }
                    if k - start == charLength { hasSingleNode = true }
                }
                if !hasSingleNode {
                    let e = start + charLength
                    let candidate = unkScore + base
                    if from[e] < 0 || candidate > best[e] {
                        best[e] = candidate
                        from[e] = Int32(start)
                        ids[e] = unk
                    }
                }
                start += charLength
            }
        }
    }

    /// Hugging Face's `Unigram::tokenize`: a run of unknown pieces becomes one token, whose id is
    /// its own if the vocabulary has it, else its bytes' `<0xXX>` ids with byte fallback, else unk.
    func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, scratch: inout UnigramScratch, into out: inout [Int32]) {
        guard !piece.isEmpty else { return }
        viterbi(piece, &scratch)
        let unk = unkID ?? -1
        var k = 0
        let path = scratch.path
        while k < path.count {
            guard path[k].id == unk else { out.append(path[k].id); k += 1; continue }
            var j = k + 1
            while j < path.count && path[j].id == unk { j += 1 }
            let run = UnsafeBufferPointer(rebasing: piece[Int(path[k].start)..<Int(path[j - 1].end)])
            k = j
            if let id = trie.value(of: run) { out.append(id); continue }
            if let byteIDs, run.allSatisfy({ byteIDs[Int($0)] >= 0 }) {
                for b in run { out.append(byteIDs[Int(b)]) }
            } else if unk >= 0 {
                out.append(unk)
            }
        }
    }
}

/// One piece of a segmentation: bytes `start..<end` of the text and the piece's id.
struct PieceSpan: Sendable {
    var start: Int32
    var end: Int32
    var id: Int32
}

/// Per-thread lattice memory, reused from text to text: for each end position, the best path's
/// score (in the model's precision), where its last piece starts, and that piece's id.
struct UnigramScratch {
    fileprivate var floatBest: [Float] = []
    fileprivate var doubleBest: [Double] = []
    fileprivate var from: [Int32] = []
    fileprivate var ids: [Int32] = []
    private(set) var path: [PieceSpan] = []

    fileprivate mutating func reset(_ n: Int) {
        if from.count < n + 1 {
            floatBest = [Float](repeating: 0, count: n + 1)
            doubleBest = [Double](repeating: 0, count: n + 1)
            from = [Int32](repeating: -1, count: n + 1)
            ids = [Int32](repeating: -1, count: n + 1)
        } else {
            // Every later position a path reaches is written before it is read.
            floatBest[0] = 0
            doubleBest[0] = 0
            for k in 0...n { from[k] = -1 }
        }
        path.removeAll(keepingCapacity: true)
    }

    fileprivate mutating func backtrack(_ n: Int) {
        var e = n
        while e > 0 {
            let s = Int(from[e])
            guard s >= 0 else { break }  // unreachable: every character boundary has a node ending there
            path.append(PieceSpan(start: Int32(s), end: Int32(e), id: ids[e]))
            e = s
        }
        path.reverse()
    }
}
