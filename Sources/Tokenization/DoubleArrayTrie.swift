// A double-array trie (Aoe, "An efficient digital search algorithm by using a double-array
// structure", 1989) over byte strings: the piece dictionary of the unigram lattice and of
// SentencePiece's BPE, where every position of every sentence walks it. One step is one
// array read: the child of node `s` by byte `c` sits at `base[s] + c` if its `check` is `s`.

struct DoubleArrayTrie: Sendable {
    /// One node: where its children start, its parent, and the value of a key ending here (-1: none).
    struct Unit: Sendable {
        var base: Int32 = 0
        var check: Int32 = -1
        var value: Int32 = -1
    }

    private(set) var units: [Unit]

    /// Builds the trie of `keys`; a key given twice keeps its last value. Empty keys are left out.
    init(keys: [([UInt8], Int32)]) {
        // Sort by key, later entries after earlier ones, then keep the last of each key.
        let order = keys.indices.sorted { a, b in
            keys[a].0.lexicographicallyPrecedes(keys[b].0) || (keys[a].0 == keys[b].0 && a < b)
        }
        var sorted: [([UInt8], Int32)] = []
        sorted.reserveCapacity(keys.count)
        for k in order where !keys[k].0.isEmpty {
            if let last = sorted.last, last.0 == keys[k].0 { sorted[sorted.count - 1].1 = keys[k].1 } else { sorted.append(keys[k]) }
        }
        var builder = Builder()
        builder.build(sorted)
        units = builder.units
    }

    /// The node reached from `s` by byte `c`, or -1.
    @inline(__always)
    static func child(_ units: UnsafeBufferPointer<Unit>, _ s: Int, _ c: UInt8) -> Int {
        let t = Int(units[s].base) + Int(c)
        return t < units.count && Int(units[t].check) == s ? t : -1
    }

    /// The value of exactly `key`, or nil.
    func value(of key: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard !key.isEmpty else { return nil }
        return units.withUnsafeBufferPointer { u in
            var s = 0
            for c in key {
                s = DoubleArrayTrie.child(u, s, c)
                if s < 0 { return nil }
            }
            return u[s].value >= 0 ? u[s].value : nil
        }
    }

    /// Places nodes breadth-first, each node's children at the first base where all their slots are free.
    private struct Builder {
        var units = [Unit(base: 0, check: -2, value: -1)]
        /// Free slots as a doubly linked list (indices into `units`; -1 ends it), lowest first.
        var nextFree: [Int32] = [-1]
        var prevFree: [Int32] = [-1]
        var firstFree: Int32 = -1
        var lastFree = -1

        mutating func build(_ keys: [([UInt8], Int32)]) {
            // Work items: (node, key range sharing the first `depth` bytes, depth).
            var queue: [(Int, Range<Int>, Int)] = [(0, 0..<keys.count, 0)]
            var head = 0
            var labels: [UInt8] = []
            var groups: [Range<Int>] = []
            while head < queue.count {
                let (node, range, depth) = queue[head]
                head += 1
                var lo = range.lowerBound
                if lo < range.upperBound && keys[lo].0.count == depth {
                    units[node].value = keys[lo].1  // sorted: the key ending here comes first
                    lo += 1
                }
                labels.removeAll(keepingCapacity: true)
                groups.removeAll(keepingCapacity: true)
                var i = lo
                while i < range.upperBound {
                    let c = keys[i].0[depth]
                    var j = i + 1
                    while j < range.upperBound && keys[j].0[depth] == c { j += 1 }
                    labels.append(c)
                    groups.append(i..<j)
                    i = j
                }
                guard !labels.isEmpty else { continue }
                let base = findBase(labels)
                units[node].base = Int32(base)
                for (c, g) in zip(labels, groups) {
                    let t = base + Int(c)
                    take(t)
                    units[t].check = Int32(node)
                    queue.append((t, g, depth + 1))
                }
            }
        }

        /// The lowest base ≥ 1 whose slots for all `labels` are free, growing the array as needed.
        private mutating func findBase(_ labels: [UInt8]) -> Int {
            var p = Int(firstFree)
            while true {
                if p < 0 {
                    // No free slot fits: put the children just past the end.
                    let base = max(1, units.count - Int(labels[0]))
                    grow(to: base + 256)
                    return base
                }
                let base = p - Int(labels[0])
                if base >= 1 {
                    grow(to: base + 256)
                    if labels.allSatisfy({ units[base + Int($0)].check == -1 }) { return base }
                }
                p = Int(nextFree[p])
            }
        }

        /// Extends the array with free slots up to `count`.
        private mutating func grow(to count: Int) {
            while units.count < count {
                let k = units.count
                units.append(Unit())
                // Append `k` at the end of the free list (slots are added in increasing order).
                nextFree.append(-1)
                prevFree.append(Int32(lastFree))
                if lastFree < 0 { firstFree = Int32(k) } else { nextFree[lastFree] = Int32(k) }
                lastFree = k
            }
        }

        /// Marks slot `t` used: unlinks it from the free list.
        private mutating func take(_ t: Int) {
            let p = Int(prevFree[t]), n = Int(nextFree[t])
            if p >= 0 { nextFree[p] = Int32(n) } else { firstFree = Int32(n) }
            if n >= 0 { prevFree[n] = Int32(p) } else { lastFree = p }
            nextFree[t] = -1
            prevFree[t] = -1
        }
    }
}
