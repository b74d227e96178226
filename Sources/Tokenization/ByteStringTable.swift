/// An open-addressing hash set of byte strings giving each a dense index (0, 1, 2, ...).
/// Keys live in one arena and lookups take a buffer, so neither counting words nor the
/// encoder's word cache allocates per lookup as `[[UInt8]: V]` would.
struct ByteStringTable {
    private(set) var arena: [UInt8] = []
    private var keyStarts: [Int] = [0]
    private var hashes: [UInt64] = []
    private var slots: [Int32]
    private var mask: Int

    var count: Int { hashes.count }

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    /// Bytes of key `index`.
    func key(_ index: Int) -> ArraySlice<UInt8> { arena[keyStarts[index]..<keyStarts[index + 1]] }

    @inline(__always)
    static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(p.count)
        for b in p { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
    }

    /// Index of `key`, or nil.
    func find(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        let h = ByteStringTable.hash(key)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let k = Int(slots[s])
            if k < 0 { return nil }
            if hashes[k] == h && equals(k, key) { return k }
            s = (s + 1) & mask
        }
    }

    /// Index of `key`, adding it if absent; `inserted` says whether it was new.
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>) -> (index: Int, inserted: Bool) {
        let h = ByteStringTable.hash(key)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let k = Int(slots[s])
            if k < 0 { break }
            if hashes[k] == h && equals(k, key) { return (k, false) }
            s = (s + 1) & mask
        }
        let index = hashes.count
        hashes.append(h)
        arena.append(contentsOf: key)
        keyStarts.append(arena.count)
        slots[s] = Int32(index)
        if hashes.count * 2 > slots.count { grow() }
        return (index, true)
    }

    @inline(__always)
    private func equals(_ k: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = keyStarts[k], n = keyStarts[k + 1] - start
        guard n == key.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            for i in 0..<n where a[start + i] != key[i] { return false }
            return true
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (k, h) in hashes.enumerated() {
            var s = Int(truncatingIfNeeded: h) & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(k)
        }
    }
}
