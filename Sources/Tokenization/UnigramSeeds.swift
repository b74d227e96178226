// The seed vocabulary of Unigram training (SentencePiece's `MakeSeedSentencePieces`): every
// required character, then the frequent substrings found as the internal nodes of the suffix
// tree of the corpus — an enhanced suffix array (suffix array + LCP intervals, as esaxx gives
// spm) — scored by frequency × length, the best `seedSize` kept, scores turned to log-probabilities.
//
// The array is built over the distinct words rather than the raw sentences, with each
// suffix's frequency weighted by its word's count, so frequencies are those of the corpus.
// Every separator acts as a distinct character (a common prefix stops at the end of a word),
// which makes a substring ending several words an internal node, as it is in spm's sentence
// array where different words follow. A word suffix found in one distinct word of count ≥ 2
// is kept as well (spm sees those repeated in its sentence array; Hugging Face's port misses
// them). Suffixes are sorted on their first `maxLength + 1` characters only: that decides every
// node of depth ≤ `maxLength`, and deeper ones cannot be pieces.
import Dispatch
import Foundation

/// Every occurrence of every multi-character piece in the corpus text, by start position.
struct PieceOccurrences {
    /// Occurrences starting at text position `p` are `start[p] ..< start[p + 1]`.
    var start: [Int32]
    var piece: [Int32]
    var length: [UInt8]
}

struct UnigramSeeds {
    /// Seed pieces: the required characters (most frequent first), then substrings by score.
    /// A piece is `text[position ..< position + length]` of one of its occurrences.
    var position: [Int32] = []
    var length: [Int32] = []
    var logProbability: [Double] = []
    /// Piece id of each character id, or -1 for characters outside the vocabulary.
    var charPiece: [Int32]
    var occurrences: PieceOccurrences

    init(corpus: UnigramCorpus, validity: PieceValidity, seedSize: Int, threads: Int) {
        let text = corpus.text
        let n = text.count
        let maxLength = validity.maxLength
        var wordOf = [Int32](repeating: 0, count: n)
        for w in 0..<corpus.wordCount.count {
            for p in Int(corpus.wordStart[w])..<Int(corpus.wordStart[w + 1]) { wordOf[p] = Int32(w) }
        }
        var firstPosition = [Int32](repeating: -1, count: corpus.chars.count)
        for p in 0..<n where text[p] >= 0 && firstPosition[Int(text[p])] < 0 { firstPosition[Int(text[p])] = Int32(p) }

        // Characters first: by count, then code point (spm's `Sorted(all_chars)`).
        charPiece = [Int32](repeating: -1, count: corpus.chars.count)
        var values: [Double] = []
        let charOrder = corpus.chars.indices.filter { corpus.required[$0] }
            .sorted { corpus.charCount[$0] != corpus.charCount[$1] ? corpus.charCount[$0] > corpus.charCount[$1] : $0 < $1 }
        for c in charOrder {
            charPiece[c] = Int32(position.count)
            position.append(firstPosition[c])
            length.append(1)
            values.append(Double(corpus.charCount[c]))
        }

        let (sa, lcp, longest) = text.withUnsafeBufferPointer { t in
            UnigramSeeds.suffixArray(t, corpus: corpus, validity: validity, depth: maxLength + 1, threads: threads)
        }
        let m = sa.count
        // weight[i]: summed counts of the words of sa[0 ..< i].
        var weight = [Int64](repeating: 0, count: m + 1)
        for i in 0..<m { weight[i + 1] = weight[i] + corpus.wordCount[Int(wordOf[Int(sa[i])])] }

        // Internal nodes [lb, rb) of depth d by the bottom-up LCP-interval traversal, plus leaves.
        var candidates: [Candidate] = []
        var stack: [(depth: Int32, lb: Int32)] = [(0, 0)]
        for i in stride(from: 1, through: m, by: 1) {
            let l = i < m ? lcp[i] : 0
            var lb = Int32(i - 1)
            while l < stack[stack.count - 1].depth {
                let top = stack.removeLast()
                lb = top.lb
                let d = Int(top.depth)
                if d >= 2 && d <= maxLength && Int(longest[Int(sa[Int(lb)])]) >= d {
                    let freq = weight[i] - weight[Int(lb)]
                    candidates.append(Candidate(score: freq * Int64(d), lb: lb, rb: Int32(i), depth: top.depth))
                }
            }
            if l > stack[stack.count - 1].depth { stack.append((l, lb)) }
        }
        for i in 0..<m {
            let p = Int(sa[i])
            let w = Int(wordOf[p])
            let rest = Int(corpus.wordStart[w + 1]) - 1 - p
            let shared = max(Int(lcp[i]), i + 1 < m ? Int(lcp[i + 1]) : 0)
            guard rest >= 2, rest <= maxLength, shared < rest, corpus.wordCount[w] >= 2, Int(longest[p]) >= rest else { continue }
            candidates.append(Candidate(score: corpus.wordCount[w] * Int64(rest), lb: Int32(i), rb: Int32(i + 1), depth: Int32(rest)))
        }
        candidates.sort { a, b in
            a.score != b.score ? a.score > b.score : a.lb != b.lb ? a.lb < b.lb : a.depth < b.depth
        }
        if candidates.count > seedSize - position.count { candidates.removeLast(candidates.count - max(0, seedSize - position.count)) }

        // Occurrences of the kept substrings, grouped by start position.
        var start = [Int32](repeating: 0, count: n + 1)
        for c in candidates { for i in c.lb..<c.rb { start[Int(sa[Int(i)]) + 1] += 1 } }
        for p in 0..<n { start[p + 1] += start[p] }
        var fill = Array(start.dropLast())
        var piece = [Int32](repeating: 0, count: Int(start[n]))
        var lengths = [UInt8](repeating: 0, count: Int(start[n]))
        for c in candidates {
            let id = Int32(position.count)
            position.append(sa[Int(c.lb)])
            length.append(c.depth)
            values.append(Double(c.score))
            for i in c.lb..<c.rb {
                let p = Int(sa[Int(i)])
                piece[Int(fill[p])] = id
                lengths[Int(fill[p])] = UInt8(c.depth)
                fill[p] += 1
            }
        }
        occurrences = PieceOccurrences(start: start, piece: piece, length: lengths)
        let logSum = log(values.reduce(0, +))
        logProbability = values.map { log($0) - logSum }
    }

    private struct Candidate {
        var score: Int64
        var lb: Int32
        var rb: Int32
        var depth: Int32
    }

    /// Word positions sorted by their first `depth` characters (ties by position), the common
    /// prefix of each with the one before (`lcp[0] = 0`), and the longest valid piece at each text position.
    private static func suffixArray(_ text: UnsafeBufferPointer<Int32>, corpus: UnigramCorpus, validity: PieceValidity,
                                    depth: Int, threads: Int) -> ([Int32], [Int32], [UInt8]) {
        let n = text.count
        var longest = [UInt8](repeating: 0, count: n)
        var sa: [Int32] = []
        sa.reserveCapacity(n)
        for w in 0..<corpus.wordCount.count {
            let end = Int(corpus.wordStart[w + 1]) - 1
            for p in Int(corpus.wordStart[w])..<end {
                longest[p] = UInt8(validity.longestPiece(text, from: p, to: end))
                sa.append(Int32(p))
            }
        }
        // Bucket by first character, then sort each bucket; buckets go to threads in turn.
        var bucketStart = [Int](repeating: 0, count: corpus.chars.count + 1)
        for p in sa { bucketStart[Int(text[Int(p)]) + 1] += 1 }
        for c in 0..<corpus.chars.count { bucketStart[c + 1] += bucketStart[c] }
        var fill = bucketStart
        var sorted = [Int32](repeating: 0, count: sa.count)
        for p in sa { sorted[fill[Int(text[Int(p)])]] = p; fill[Int(text[Int(p)])] += 1 }
        let buckets = corpus.chars.count
        sorted.withUnsafeMutableBufferPointer { out in
            let shared = WorkerBuffer(base: out)
            let threads = max(1, threads)
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                for b in stride(from: t, to: buckets, by: threads) {
                    var slice = UnsafeMutableBufferPointer(rebasing: shared.base[bucketStart[b]..<bucketStart[b + 1]])
                    slice.sort { a, b in
                        var i = 1
                        while i < depth {
                            let x = text[Int(a) + i], y = text[Int(b) + i]
                            if x != y { return x < y }
                            if x < 0 { break }
                            i += 1
                        }
                        return a < b
                    }
                }
            }
        }
        var lcp = [Int32](repeating: 0, count: sorted.count)
        for i in 1..<max(1, sorted.count) {
            let a = Int(sorted[i - 1]), b = Int(sorted[i])
            var k = 0
            while k < depth, text[a + k] == text[b + k], text[a + k] >= 0 { k += 1 }
            lcp[i] = Int32(k)
        }
        return (sorted, lcp, longest)
    }
}

/// Lets the trainers' worker threads write disjoint elements of one buffer.
struct WorkerBuffer<T>: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<T>
}
