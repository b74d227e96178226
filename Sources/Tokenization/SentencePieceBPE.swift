/// SentencePiece's BPE model (bpe_model.cc), as in Llama-2, Mistral or NLLB `.model` files:
/// there is no merge list. Starting from characters (a user-defined piece is one frozen symbol),
/// the adjacent pair whose concatenation is the vocabulary piece with the highest score merges
/// first, the leftmost on ties, until no pair is a piece. A merge into an UNUSED piece is undone
/// at the end, back into the two symbols it was made of.
struct SentencePieceBPE: Sendable {
    /// Every piece → its id (spm's `PieceToId`; pieces are unique).
    let pieces: DoubleArrayTrie
    let types: [SentencePieceType]
    let scores: [Float]
    /// User-defined pieces (their ids), matched longest first at each character.
    let userDefined: DoubleArrayTrie?
    /// True when no piece a merge can form (or a user-defined piece) has a `▁` after something
    /// other than `▁` (whitespace-only pieces like Llama's `▁▁▁▁` are fine): then no merge crosses
    /// the start of a word (a `▁` run after a non-space), so each word can merge on its own — and
    /// be cached — with exactly the result of merging the whole sentence. (Not with UNUSED
    /// pieces: spm undoes them by the split queued last in the whole sentence.)
    let mergesWithinWords: Bool

    init(pieces: DoubleArrayTrie, tokens: [[UInt8]], types: [SentencePieceType], scores: [Float], userDefined: DoubleArrayTrie?) {
        self.pieces = pieces
        self.types = types
        self.scores = scores
        self.userDefined = userDefined
        mergesWithinWords = !types.contains(.unused) && !zip(tokens, types).contains { token, type in
            (type == .normal || type == .userDefined) && token.withUnsafeBufferPointer { p in
                (1..<max(p.count, 1)).contains { SentencePieceBPE.isWordStart(p, $0) }
            }
        }
    }

    /// Whether a `▁` starts at `i` after something other than `▁`.
    @inline(__always)
    private static func isWordStart(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        func space(_ k: Int) -> Bool { k >= 0 && k + 2 < p.count && p[k] == 0xE2 && p[k + 1] == 0x96 && p[k + 2] == 0x81 }
        return space(i) && !space(i - 3)
    }

    /// Fills `scratch.path` with the symbols left after merging: (start, end, id), id -1 where
    /// the symbol is no piece. Without `merging`, the characters stay apart (spm's CHAR model).
    func encode(_ text: UnsafeBufferPointer<UInt8>, _ scratch: inout SentencePieceBPEScratch, merging: Bool) {
        scratch.path.removeAll(keepingCapacity: true)
        guard merging && mergesWithinWords else {
            merge(text, offset: 0, &scratch, merging: merging)
            return
        }
        var start = 0
        for i in 1..<max(text.count, 1) where text[i] == 0xE2 && SentencePieceBPE.isWordStart(text, i) {
            word(text, start..<i, &scratch)
            start = i
        }
        if start < text.count { word(text, start..<text.count, &scratch) }
    }

    /// Merges one word, or copies its symbols from the cache.
    private func word(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ scratch: inout SentencePieceBPEScratch) {
        let w = UnsafeBufferPointer(rebasing: text[range])
        if scratch.appendCached(w, offset: Int32(range.lowerBound)) { return }
        let first = scratch.path.count
        merge(w, offset: range.lowerBound, &scratch, merging: true)
        scratch.cache(w, spansFrom: first, offset: Int32(range.lowerBound))
    }

    /// spm's merge loop over `text`; symbols go to the path `offset` bytes further on.
    private func merge(_ text: UnsafeBufferPointer<UInt8>, offset: Int, _ scratch: inout SentencePieceBPEScratch, merging: Bool) {
        scratch.resetSymbols()
        // Characters, or user-defined pieces, frozen.
        var i = 0
        while i < text.count {
            var length = 0
            if let userDefined { length = SentencePieceBPE.longestMatch(userDefined, text, i) }
            let frozen = length > 0
            if !frozen { length = min(SentencePieceUTF8.oneCharLength(text[i]), text.count - i) }
            scratch.appendSymbol(start: i, length: length, frozen: frozen)
            i += length
        }
        let n = scratch.start.count
        guard n > 0 else { return }
        for k in 1..<n where merging { addPair(k - 1, k, text, &scratch) }
        while let top = scratch.agenda.pop() {
            let l = Int(top.key & 0xFFFF_FFFF), r = Int(top.right)
            // Stale: one side was merged away or grew since the pair was queued.
            guard scratch.length[l] > 0, scratch.length[r] > 0,
                  scratch.length[l] + scratch.length[r] == top.size else { continue }
            scratch.length[l] += scratch.length[r]
            scratch.next[l] = scratch.next[r]
            if scratch.next[r] >= 0 { scratch.prev[Int(scratch.next[r])] = Int32(l) }
            scratch.length[r] = 0
            addPair(Int(scratch.prev[l]), l, text, &scratch)
            addPair(l, Int(scratch.next[l]), text, &scratch)
        }
        var k = 0
        while k >= 0 {
            let s = Int(scratch.start[k])
            resegment(s..<s + Int(scratch.length[k]), text, offset, &scratch)
            k = Int(scratch.next[k])
        }
    }

    private static func longestMatch(_ trie: DoubleArrayTrie, _ text: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        trie.units.withUnsafeBufferPointer { DoubleArrayTrie.longestPrefix($0, text, at: i) }
    }

    /// The id of a normal, user-defined or unused piece (the pieces merges may form).
    @inline(__always)
    private func mergeableID(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard let id = pieces.value(of: bytes) else { return nil }
        switch types[Int(id)] {
        case .normal, .userDefined, .unused: return id
        case .unknown, .control, .byte: return nil
        }
    }

    /// Queues the merge of symbols `l` and `r` if their concatenation is a piece.
    private func addPair(_ l: Int, _ r: Int, _ text: UnsafeBufferPointer<UInt8>, _ scratch: inout SentencePieceBPEScratch) {
        guard l >= 0, r >= 0, !scratch.frozen[l], !scratch.frozen[r] else { return }
        let start = Int(scratch.start[l]), size = scratch.length[l] + scratch.length[r]
        guard let id = mergeableID(UnsafeBufferPointer(rebasing: text[start..<start + Int(size)])) else { return }
        // Highest score first, then leftmost: a min-heap on (inverted score order, left index).
        let key = UInt64(UInt32.max - SentencePieceBPE.order(scores[Int(id)])) << 32 | UInt64(l)
        scratch.agenda.push(SentencePieceMergeCandidate(key: key, right: Int32(r), size: size))
        if types[Int(id)] == .unused { scratch.recordSplit(id: id, leftLength: scratch.length[l]) }
    }

    /// A float's bits mapped so that unsigned order is numeric order (-0 as +0).
    @inline(__always)
    static func order(_ f: Float) -> UInt32 {
        let bits = (f == 0 ? Float(0) : f).bitPattern
        return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    }

    /// Appends a symbol to the path, splitting UNUSED pieces back into the pair that formed them.
    private func resegment(_ range: Range<Int>, _ text: UnsafeBufferPointer<UInt8>, _ offset: Int, _ scratch: inout SentencePieceBPEScratch) {
        let id = pieces.value(of: UnsafeBufferPointer(rebasing: text[range])) ?? -1
        if id >= 0, types[Int(id)] == .unused, let left = scratch.split(of: id) {
            let mid = range.lowerBound + Int(left)
            resegment(range.lowerBound..<mid, text, offset, &scratch)
            resegment(mid..<range.upperBound, text, offset, &scratch)
            return
        }
        scratch.path.append(PieceSpan(start: Int32(offset + range.lowerBound), end: Int32(offset + range.upperBound), id: id))
    }
}

/// A queued merge: inverted score order << 32 | left symbol, the right symbol, and the merged size.
struct SentencePieceMergeCandidate: HeapOrdered {
    let key: UInt64
    let right: Int32
    let size: Int32
    static func isAbove(_ a: Self, _ b: Self) -> Bool { a.key < b.key }
}

/// Per-thread BPE memory: symbols as a linked list of byte ranges, the merge agenda, the split
/// of each UNUSED piece formed (the last one queued, as spm's `rev_merge` keeps it), and the
/// symbols of words merged before.
struct SentencePieceBPEScratch {
    fileprivate var start: [Int32] = []
    fileprivate var length: [Int32] = []
    fileprivate var prev: [Int32] = []
    fileprivate var next: [Int32] = []
    fileprivate var frozen: [Bool] = []
    fileprivate var agenda = BinaryHeap<SentencePieceMergeCandidate>()
    private var splits: [(id: Int32, leftLength: Int32)] = []
    fileprivate(set) var path: [PieceSpan] = []
    private var words = ByteStringTable(capacity: 64)
    private var wordStarts: [Int] = [0]
    private var wordSpans: [PieceSpan] = []
    private static let cacheLimit = 100_000, cacheableLength = 64

    /// Appends the cached symbols of `word`, shifted by `offset`; false if it is not cached.
    fileprivate mutating func appendCached(_ word: UnsafeBufferPointer<UInt8>, offset: Int32) -> Bool {
        guard word.count <= SentencePieceBPEScratch.cacheableLength, let k = words.find(word) else { return false }
        for s in wordSpans[wordStarts[k]..<wordStarts[k + 1]] {
            path.append(PieceSpan(start: s.start + offset, end: s.end + offset, id: s.id))
        }
        return true
    }

    /// Caches the symbols of `word`: the path from `first` on, less `offset`.
    fileprivate mutating func cache(_ word: UnsafeBufferPointer<UInt8>, spansFrom first: Int, offset: Int32) {
        guard word.count <= SentencePieceBPEScratch.cacheableLength, words.count < SentencePieceBPEScratch.cacheLimit else { return }
        _ = words.insert(word)
        for s in path[first...] { wordSpans.append(PieceSpan(start: s.start - offset, end: s.end - offset, id: s.id)) }
        wordStarts.append(wordSpans.count)
    }

    fileprivate mutating func resetSymbols() {
        start.removeAll(keepingCapacity: true)
        length.removeAll(keepingCapacity: true)
        prev.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        frozen.removeAll(keepingCapacity: true)
        agenda.removeAll()
        splits.removeAll(keepingCapacity: true)
    }

    fileprivate mutating func appendSymbol(start s: Int, length n: Int, frozen f: Bool) {
        let k = start.count
        if k > 0 { next[k - 1] = Int32(k) }
        start.append(Int32(s))
        length.append(Int32(n))
        prev.append(Int32(k - 1))
        next.append(-1)
        frozen.append(f)
    }

    fileprivate mutating func recordSplit(id: Int32, leftLength: Int32) {
        if let k = splits.firstIndex(where: { $0.id == id }) { splits[k].leftLength = leftLength } else { splits.append((id, leftLength)) }
    }

    fileprivate func split(of id: Int32) -> Int32? { splits.first { $0.id == id }?.leftLength }
}
