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

    /// Fills `scratch.path` with the symbols left after merging: (start, end, id), id -1 where
    /// the symbol is no piece.
    /// Without `merging`, the characters stay apart (spm's CHAR model).
    func encode(_ text: UnsafeBufferPointer<UInt8>, _ scratch: inout SentencePieceBPEScratch, merging: Bool) {
        scratch.reset()
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
            resegment(s..<s + Int(scratch.length[k]), text, &scratch)
            k = Int(scratch.next[k])
        }
    }

    private static func longestMatch(_ trie: DoubleArrayTrie, _ text: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        trie.units.withUnsafeBufferPointer { u in
            var s = 0, k = i, longest = 0
            while k < text.count {
                s = DoubleArrayTrie.child(u, s, text[k])
                if s < 0 { break }
                k += 1
                if u[s].value >= 0 { longest = k - i }
            }
            return longest
        }
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
    private func resegment(_ range: Range<Int>, _ text: UnsafeBufferPointer<UInt8>, _ scratch: inout SentencePieceBPEScratch) {
        let id = pieces.value(of: UnsafeBufferPointer(rebasing: text[range])) ?? -1
        if id >= 0, types[Int(id)] == .unused, let left = scratch.split(of: id) {
            let mid = range.lowerBound + Int(left)
            resegment(range.lowerBound..<mid, text, &scratch)
            resegment(mid..<range.upperBound, text, &scratch)
            return
        }
        scratch.path.append(PieceSpan(start: Int32(range.lowerBound), end: Int32(range.upperBound), id: id))
    }
}

/// A queued merge: inverted score order << 32 | left symbol, the right symbol, and the merged size.
struct SentencePieceMergeCandidate: HeapOrdered {
    let key: UInt64
    let right: Int32
    let size: Int32
    static func isAbove(_ a: Self, _ b: Self) -> Bool { a.key < b.key }
}

/// Per-thread BPE memory: symbols as a linked list of byte ranges, the merge agenda, and the
/// split of each UNUSED piece formed (the last one queued, as spm's `rev_merge` keeps it).
struct SentencePieceBPEScratch {
    fileprivate var start: [Int32] = []
    fileprivate var length: [Int32] = []
    fileprivate var prev: [Int32] = []
    fileprivate var next: [Int32] = []
    fileprivate var frozen: [Bool] = []
    fileprivate var agenda = BinaryHeap<SentencePieceMergeCandidate>()
    private var splits: [(id: Int32, leftLength: Int32)] = []
    fileprivate(set) var path: [PieceSpan] = []

    fileprivate mutating func reset() {
        start.removeAll(keepingCapacity: true)
        length.removeAll(keepingCapacity: true)
        prev.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        frozen.removeAll(keepingCapacity: true)
        agenda.removeAll()
        splits.removeAll(keepingCapacity: true)
        path.removeAll(keepingCapacity: true)
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
