// A double-array trie (Aoe, "An efficient digital search algorithm by using a double-array
// structure", 1989) over byte strings: the piece dictionary of the unigram lattice and of
// SentencePiece's BPE, where every position of every sentence walks it. One step is one
// array read: the child of node `s` by byte `c` sits at `base[s] + c` if its `check` is `s`.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        // All keys in one arena, sorted by bytes (later entries after earlier ones on equal keys).
        var arena: [UInt8] = [], starts: [Int] = [0]
        arena.reserveCapacity(keys.reduce(0) { $0 + $1.0.count })
        for (key, _) in keys {
            arena += key
            starts.append(arena.count)
        }
        let order: [Int] = arena.withUnsafeBufferPointer { a in
            keys.indices.sorted { (x: Int, y: Int) -> Bool in
                let lx = starts[x + 1] - starts[x], ly = starts[y + 1] - starts[y]
                var c: Int32 = 0
                if let base = a.baseAddress, min(lx, ly) > 0 { c = memcmp(base + starts[x], base + starts[y], min(lx, ly)) }
                return c != 0 ? c < 0 : lx != ly ? lx < ly : x < y
            }
        }
        // Keep the last value of each key.
        var sorted: [(start: Int, count: Int, value: Int32)] = []
        sorted.reserveCapacity(keys.count)
        for k in order where starts[k + 1] > starts[k] {
            let key = (start: starts[k], count: starts[k + 1] - starts[k], value: keys[k].1)
            if let last = sorted.last, last.count == key.count,
               arena[last.start..<last.start + last.count].elementsEqual(arena[key.start..<key.start + key.count]) {
                sorted[sorted.count - 1].value = key.value
            } else {
                sorted.append(key)
            }
        }
        var builder = Builder()
        arena.withUnsafeBufferPointer { builder.build(sorted, $0) }
        units = builder.units
    }

    /// The node reached from `s` by byte `c`, or -1.
    @inline(__always)
    static func child(_ units: UnsafeBufferPointer<Unit>, _ s: Int, _ c: UInt8) -> Int {
        let t = Int(units[s].base) + Int(c)
        return t < units.count && Int(units[t].check) == s ? t : -1
    }

    /// The length of the longest key that `text` starts with at `i` (0: none).
    @inline(__always)
    static func longestPrefix(_ units: UnsafeBufferPointer<Unit>, _ text: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        var s = 0, k = i, longest = 0
        while k < text.count {
            s = child(units, s, text[k])
            if s < 0 { break }
            k += 1
            if units[s].value >= 0 { longest = k - i }
        }
        return longest
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

    /// Places nodes depth-first, each node's children at the first base where all their slots are free.
    private struct Builder {
        var units = [Unit(base: 0, check: -2, value: -1)]
        /// Free slots as a doubly linked list (indices into `units`; -1 ends it), lowest first.
        var nextFree: [Int32] = [-1]
        var prevFree: [Int32] = [-1]
        var firstFree = -1
        var lastFree = -1
        /// Free slots this far behind the end are given up (marked -3, never a parent), so that
        /// placing a node never scans more than this many slots; the few holes left cost less
        /// than the search would.
        static let window = 8192

        mutating func build(_ keys: [(start: Int, count: Int, value: Int32)], _ arena: UnsafeBufferPointer<UInt8>) {
            // Work items: (node, key range sharing the first `depth` bytes, depth).
            var stack: [(Int, Range<Int>, Int)] = [(0, 0..<keys.count, 0)]
            var labels: [UInt8] = []
            var groups: [Range<Int>] = []
            while let (node, range, depth) = stack.popLast() {
                var lo = range.lowerBound
                if lo < range.upperBound && keys[lo].count == depth {
                    units[node].value = keys[lo].value  // sorted: the key ending here comes first
                    lo += 1
                }
                labels.removeAll(keepingCapacity: true)
                groups.removeAll(keepingCapacity: true)
                var i = lo
                while i < range.upperBound {
                    let c = arena[keys[i].start + depth]
                    var j = i + 1
                    while j < range.upperBound && arena[keys[j].start + depth] == c { j += 1 }
                    labels.append(c)
                    groups.append(i..<j)
                    i = j
                }
                guard !labels.isEmpty else { continue }
                let base = findBase(labels)
                units[node].base = Int32(base)
                for (c, g) in zip(labels, groups).reversed() {
                    let t = base + Int(c)
                    take(t)
                    units[t].check = Int32(node)
                    stack.append((t, g, depth + 1))
                }
            }
        }

        /// The lowest base ≥ 1 whose slots for all `labels` are free, growing the array as needed.
        private mutating func findBase(_ labels: [UInt8]) -> Int {
            while firstFree >= 0 && firstFree < units.count - Builder.window {
                units[firstFree].check = -3
                take(firstFree)
            }
            var p = firstFree
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
                    var fits = true
                    for c in labels where units[base + Int(c)].check != -1 { fits = false; break }
                    if fits { return base }
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
                if lastFree < 0 { firstFree = k } else { nextFree[lastFree] = Int32(k) }
                lastFree = k
            }
        }

        /// Takes slot `t` off the free list (used, or given up).
        private mutating func take(_ t: Int) {
            let p = Int(prevFree[t]), n = Int(nextFree[t])
            if p >= 0 { nextFree[p] = Int32(n) } else { firstFree = n }
            if n >= 0 { prevFree[n] = Int32(p) } else { lastFree = p }
            nextFree[t] = -1
            prevFree[t] = -1
        }
    }
}
