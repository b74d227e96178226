/// The BPE model: a vocabulary of token strings and ranked merges, applied to one
/// pre-tokenized piece at a time exactly as Hugging Face's `BPE` model does.
struct BPEModel: Sendable {
    /// Token string (UTF-8) of each id; empty for ids the vocabulary skips.
    private(set) var tokens: [[UInt8]]
    /// Merges in rank order, as token-id pairs.
    private(set) var merges: [(Int32, Int32)]
    /// (left, right) → rank << 32 | merged id. A pair listed twice keeps its later rank, as in HF.
    private var mergeRanks: PairMap<UInt64>
    private var idTable: ByteStringTable
    private var idOfKey: [Int32]
    /// Id of the one-byte token for each byte, -1 if absent (byte-level input).
    private var byteIDs: [Int32]
    var unkToken: String?
    var fuseUnk = false
    var byteFallback = false
    var ignoreMerges = false
    /// Put before every symbol but a word's first (`##` in WordPiece-style BPE), and after its last.
    var continuingSubwordPrefix: [UInt8] = []
    var endOfWordSuffix: [UInt8] = []

    /// Builds a model from a vocabulary (token bytes → id) and merges given as token pairs.
    init(vocab: [([UInt8], Int32)], merges mergePairs: [([UInt8], [UInt8])]) throws(ModelError) {
        let maxID = vocab.map(\.1).max() ?? -1
        tokens = [[UInt8]](repeating: [], count: Int(maxID) + 1)
        idTable = ByteStringTable(capacity: vocab.count)
        idOfKey = []
        byteIDs = []
        merges = []
        mergeRanks = PairMap(capacity: mergePairs.count)
        for (token, id) in vocab {
            guard id >= 0 else { throw .negativeID(id) }
            tokens[Int(id)] = token
            let (k, inserted) = token.withUnsafeBufferPointer { idTable.insert($0) }
            if inserted { idOfKey.append(id) } else { idOfKey[k] = id }
        }
        for (rank, (a, b)) in mergePairs.enumerated() {
            guard let ia = id(of: a) else { throw .mergeTokenMissing(a) }
            guard let ib = id(of: b) else { throw .mergeTokenMissing(b) }
            guard let merged = id(of: a + b) else { throw .mergeTokenMissing(a + b) }
            merges.append((ia, ib))
            mergeRanks[PairMap<UInt64>.key(ia, ib)] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
        }
        byteIDs = ByteLevelAlphabet.utf8OfByte.map { id(of: $0) ?? -1 }
    }

    enum ModelError: Error {
        case negativeID(Int32)
        case mergeTokenMissing([UInt8])
    }

    func id(of token: [UInt8]) -> Int32? {
        token.withUnsafeBufferPointer { idTable.find($0) }.map { idOfKey[$0] }
    }

    func id(of token: UnsafeBufferPointer<UInt8>) -> Int32? { idTable.find(token).map { idOfKey[$0] } }

    /// Appends the ids of one piece to `out`. With `byteLevel`, the piece's bytes are first
    /// mapped to GPT-2's byte alphabet; otherwise each Unicode scalar is an initial symbol.
    func encodePiece(_ piece: UnsafeBufferPointer<UInt8>, byteLevel: Bool, merger: inout WordMerger, into out: inout [Int32]) {
        merger.reset()
        if byteLevel && continuingSubwordPrefix.isEmpty && endOfWordSuffix.isEmpty {
            if ignoreMerges, let whole = id(of: piece.flatMap { ByteLevelAlphabet.utf8OfByte[Int($0)] }) {
                out.append(whole)
                return
            }
            for b in piece {
                let id = byteIDs[Int(b)]
                if id >= 0 { merger.flushUnknown(); merger.append(id) } else { addUnknown(&merger) }
            }
        } else if byteLevel {
            let mapped = piece.flatMap { ByteLevelAlphabet.utf8OfByte[Int($0)] }
            mapped.withUnsafeBufferPointer { addSymbols(of: $0, to: &merger) }
            if ignoreMerges, let whole = id(of: mapped) { out.append(whole); return }
        } else {
            if ignoreMerges, let whole = id(of: piece) { out.append(whole); return }
            addSymbols(of: piece, to: &merger)
        }
        merger.flushUnknown()
        merger.mergeAll(mergeRanks)
        merger.appendSymbols(to: &out)
    }

    /// Each Unicode scalar as a symbol (with the prefix and suffix), its bytes as `<0xXX>`
    /// tokens when it has no token and byte fallback is on, else the unknown token.
    private func addSymbols(of piece: UnsafeBufferPointer<UInt8>, to merger: inout WordMerger) {
        let affixes = !continuingSubwordPrefix.isEmpty || !endOfWordSuffix.isEmpty
        var symbol: [UInt8] = []
        var i = 0
        while i < piece.count {
            let n = min(UTF8Scalars.length(firstByte: piece[i]), piece.count - i)
            let ch = UnsafeBufferPointer(rebasing: piece[i..<i + n])
            var found: Int32?
            if affixes {
                symbol.removeAll(keepingCapacity: true)
                if i > 0 { symbol += continuingSubwordPrefix }
                symbol += ch
                if i + n == piece.count { symbol += endOfWordSuffix }
                found = id(of: symbol)
            } else {
                found = id(of: ch)
            }
            if let id = found {
                merger.flushUnknown()
                merger.append(id)
            } else if byteFallback, let ids = affixes ? symbol.withUnsafeBufferPointer({ byteFallbackIDs($0) }) : byteFallbackIDs(ch) {
                merger.flushUnknown()
                for id in ids { merger.append(id) }
            } else {
                addUnknown(&merger)
            }
            i += n
        }
    }

    private func addUnknown(_ merger: inout WordMerger) {
        guard let unk = unkToken, let unkID = id(of: Array(unk.utf8)) else { return }  // HF drops it too
        merger.addUnknown(unkID, fuse: fuseUnk)
    }

    private func byteFallbackIDs(_ ch: UnsafeBufferPointer<UInt8>) -> [Int32]? {
        var ids: [Int32] = []
        for b in ch {
            let hex = String(b, radix: 16, uppercase: true)
            guard let id = id(of: Array("<0x\(hex.count == 1 ? "0" + hex : hex)>".utf8)) else { return nil }
            ids.append(id)
        }
        return ids
    }
}

/// Scratch state for merging one word: symbols in a linked list and a min-heap of
/// candidate merges by (rank, position), Hugging Face's `Word::merge_all` without dropout.
struct WordMerger {
    private var ids: [Int32] = []
    private var prev: [Int32] = []
    private var next: [Int32] = []
    private var alive: [Bool] = []
    private var heap = BinaryHeap<MergeCandidate>()
    private var pendingUnknown: Int32 = -1

    init() {}

    mutating func reset() {
        ids.removeAll(keepingCapacity: true)
        pendingUnknown = -1
    }

    @inline(__always)
    mutating func append(_ id: Int32) { ids.append(id) }

    mutating func addUnknown(_ unkID: Int32, fuse: Bool) {
        if pendingUnknown >= 0 && !fuse { ids.append(pendingUnknown) }
        pendingUnknown = unkID
    }

    @inline(__always)
    mutating func flushUnknown() {
        if pendingUnknown >= 0 { ids.append(pendingUnknown); pendingUnknown = -1 }
    }

    mutating func mergeAll(_ ranks: PairMap<UInt64>) {
        let n = ids.count
        guard n > 1 else { return }
        prev.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        alive.removeAll(keepingCapacity: true)
        heap.removeAll()
        for i in 0..<n {
            prev.append(Int32(i - 1))
            next.append(i + 1 < n ? Int32(i + 1) : -1)
            alive.append(true)
        }
        for i in 0..<(n - 1) {
            if let m = ranks[PairMap<UInt64>.key(ids[i], ids[i + 1])] { push(m, pos: i) }
        }
        while let candidate = heap.pop() {
            let (key, newID) = (candidate.key, candidate.newID)
            let pos = Int(key & 0xFFFF_FFFF)
            guard alive[pos], next[pos] >= 0 else { continue }
            let right = Int(next[pos])
            // Skip stale entries: the pair at `pos` must still merge into the same id.
            guard let m = ranks[PairMap<UInt64>.key(ids[pos], ids[right])],
                  Int32(truncatingIfNeeded: m) == newID else { continue }
            ids[pos] = newID
            alive[right] = false
            next[pos] = next[right]
            if next[right] >= 0 { prev[Int(next[right])] = Int32(pos) }
            if prev[pos] >= 0, let m = ranks[PairMap<UInt64>.key(ids[Int(prev[pos])], newID)] {
                push(m, pos: Int(prev[pos]))
            }
            if next[pos] >= 0, let m = ranks[PairMap<UInt64>.key(newID, ids[Int(next[pos])])] {
                push(m, pos: pos)
            }
        }
    }

    func appendSymbols(to out: inout [Int32]) {
        if ids.count < 2 { out.append(contentsOf: ids); return }
        for i in ids.indices where alive[i] { out.append(ids[i]) }
    }

    private mutating func push(_ rankAndID: UInt64, pos: Int) {
        heap.push(MergeCandidate(key: rankAndID & 0xFFFF_FFFF_0000_0000 | UInt64(pos), newID: Int32(truncatingIfNeeded: rankAndID)))
    }
}

/// A pending merge: rank << 32 | position (lowest first: best rank, then leftmost), and the merged id.
struct MergeCandidate: HeapOrdered {
    let key: UInt64
    let newID: Int32
    static func isAbove(_ a: Self, _ b: Self) -> Bool { a.key < b.key }
}
