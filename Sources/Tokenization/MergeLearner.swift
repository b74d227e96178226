/// The merge loop of BPE training over distinct words with counts: pair counts kept up
/// to date incrementally, an index of the words each pair occurs in, and a max-heap of
/// pairs with stale entries corrected lazily (as Hugging Face's `BpeTrainer` does).
/// Ties go to the smaller (left id, right id) pair, so the result is deterministic.
struct MergeLearner {
    /// Token strings by id: the initial vocabulary (for byte-level BPE: special tokens, the 256
    /// byte tokens in code point order), then merges.
    private(set) var tokens: [[UInt8]]
    private(set) var merges: [(Int32, Int32)] = []
    private var tokenTable = ByteStringTable()
    private var words: [[Int32]]
    private var wordCounts: [Int64]
    private var pairCounts = PairMap<Int64>(capacity: 1 << 16)
    /// pair → index into `whereLists`: the words a pair occurred in (maybe stale or repeated).
    private var pairWhere = PairMap<Int32>(capacity: 1 << 16)
    private var whereLists: [[Int32]] = []
    private var heap = BinaryHeap<PairCount>()

    /// A token string that starts with this prefix continues a word (WordPiece's `##`); a
    /// merge drops it from its right-hand part. Empty for byte-level BPE.
    private let continuingPrefix: [UInt8]

    /// Byte-level BPE: special tokens, then the 256 byte tokens, over the bytes of `pieces`.
    init(specialTokens: [[UInt8]], words pieces: [(ArraySlice<UInt8>, Int)]) {
        var idOfByte = [Int32](repeating: 0, count: 256)
        for (rank, b) in ByteLevelAlphabet.bytesInTokenOrder.enumerated() { idOfByte[b] = Int32(specialTokens.count + rank) }
        self.init(tokens: specialTokens + ByteLevelAlphabet.bytesInTokenOrder.map { ByteLevelAlphabet.utf8OfByte[$0] },
                  words: pieces.map { bytes, _ in bytes.map { idOfByte[Int($0)] } },
                  counts: pieces.map { Int64($0.1) }, continuingPrefix: [])
    }

    /// Any initial vocabulary `tokens`, with `words` already spelled as ids into it.
    init(tokens initial: [[UInt8]], words: [[Int32]], counts: [Int64], continuingPrefix: [UInt8]) {
        tokens = initial
        self.words = words
        wordCounts = counts
        self.continuingPrefix = continuingPrefix
        for t in tokens { _ = t.withUnsafeBufferPointer { tokenTable.insert($0) } }
        for (w, word) in words.enumerated() where word.count > 1 {
            for i in 0..<(word.count - 1) { add(PairMap<Int64>.key(word[i], word[i + 1]), wordCounts[w], word: w) }
        }
        pairCounts.forEach { pair, count in if count > 0 { push(count, pair) } }
    }

    mutating func learn(vocabSize: Int, minFrequency: Int, progress: ((TrainingProgress) -> Void)?) {
        let start = tokens.count, target = max(0, vocabSize - tokens.count)
        var visited = [Int](repeating: -1, count: words.count)
        var touched: [UInt64] = []
        while tokens.count < vocabSize, let top = heap.pop() {
            let (count, pair) = (top.count, top.pair)
            let current = pairCounts[pair] ?? 0
            if count != current {
                if current > 0 { push(current, pair) }
                continue
            }
            if count < Int64(minFrequency) { break }
            let a = Int32(truncatingIfNeeded: pair >> 32), b = Int32(truncatingIfNeeded: pair)
            let right = tokens[Int(b)]
            let merged = tokens[Int(a)] + (!continuingPrefix.isEmpty && right.starts(with: continuingPrefix)
                ? right[continuingPrefix.count...] : right[...])
            let (k, inserted) = merged.withUnsafeBufferPointer { tokenTable.insert($0) }
            if inserted { tokens.append(merged) }
            let c = Int32(k)
            merges.append((a, b))
            touched.removeAll(keepingCapacity: true)
            let stamp = merges.count
            if let list = pairWhere[pair] {
                for w in whereLists[Int(list)] where visited[Int(w)] != stamp {
                    visited[Int(w)] = stamp
                    mergeWord(Int(w), a, b, c, &touched)
                }
            }
            for p in touched { if let n = pairCounts[p], n > 0 { push(n, p) } }
            if let progress, merges.count % 256 == 0 {
                progress(TrainingProgress(phase: .merging, completed: tokens.count - start, total: target))
            }
        }
        progress?(TrainingProgress(phase: .merging, completed: tokens.count - start, total: target))
    }

    /// Replaces each (a, b) in word `w` with `c`, updating the counts of the pairs around it.
    private mutating func mergeWord(_ w: Int, _ a: Int32, _ b: Int32, _ c: Int32, _ touched: inout [UInt64]) {
        var s = words[w]
        words[w] = []
        let f = wordCounts[w]
        let n = s.count
        var out = 0, i = 0
        while i < n {
            if i + 1 < n && s[i] == a && s[i + 1] == b {
                if out > 0 {
                    add(PairMap<Int64>.key(s[out - 1], a), -f, word: nil)
                    add(PairMap<Int64>.key(s[out - 1], c), f, word: w)
                    touched.append(PairMap<Int64>.key(s[out - 1], c))
                }
                if i + 2 < n {
                    add(PairMap<Int64>.key(b, s[i + 2]), -f, word: nil)
                    add(PairMap<Int64>.key(c, s[i + 2]), f, word: w)
                    touched.append(PairMap<Int64>.key(c, s[i + 2]))
                }
                add(PairMap<Int64>.key(a, b), -f, word: nil)
                s[out] = c
                i += 2
            } else {
                s[out] = s[i]
                i += 1
            }
            out += 1
        }
        s.removeLast(n - out)
        words[w] = s
    }

    @inline(__always)
    private mutating func add(_ pair: UInt64, _ delta: Int64, word: Int?) {
        pairCounts[pair] = (pairCounts[pair] ?? 0) + delta
        guard let word else { return }
        if let list = pairWhere[pair] {
            whereLists[Int(list)].append(Int32(word))
        } else {
            pairWhere[pair] = Int32(whereLists.count)
            whereLists.append([Int32(word)])
        }
    }

    private mutating func push(_ count: Int64, _ pair: UInt64) { heap.push(PairCount(count: count, pair: pair)) }
}

/// A pair and its count when pushed (higher count first, then the smaller pair).
struct PairCount: HeapOrdered {
    let count: Int64
    let pair: UInt64
    static func isAbove(_ a: Self, _ b: Self) -> Bool { a.count != b.count ? a.count > b.count : a.pair < b.pair }
}
