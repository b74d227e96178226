/// An open-addressing hash map keyed by a pair of symbol ids packed into a UInt64: the
/// merge-rank lookup of encoding and the pair counts of training, both hot loops where
/// `Dictionary`'s seeded SipHash costs several times more.
struct PairMap<Value> {
    private static var empty: UInt64 { .max }
    private var keys: [UInt64]
    private var values: [Value?]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: PairMap.empty, count: size)
        values = [Value?](repeating: nil, count: size)
        mask = size - 1
    }

    @inline(__always)
    static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        let h = (key ^ (key >> 31)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: h >> 20) & mask
    }

    subscript(key: UInt64) -> Value? {
        get {
            var s = slot(key)
            while true {
                let k = keys[s]
                if k == key { return values[s] }
                if k == PairMap.empty { return nil }
                s = (s + 1) & mask
            }
        }
        set {
            // Entries are never removed (a nil value stays as a tombstone-free slot).
            var s = slot(key)
            while keys[s] != key && keys[s] != PairMap.empty { s = (s + 1) & mask }
            if keys[s] == PairMap.empty {
                guard newValue != nil else { return }
                keys[s] = key
                count += 1
            }
            values[s] = newValue
            if count * 2 > keys.count { grow() }
        }
    }

    /// Every (key, value) with a non-nil value, in slot order.
    func forEach(_ body: (UInt64, Value) -> Void) {
        for s in keys.indices where keys[s] != PairMap.empty {
            if let v = values[s] { body(keys[s], v) }
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        let size = keys.count * 2
        keys = [UInt64](repeating: PairMap.empty, count: size)
        values = [Value?](repeating: nil, count: size)
        mask = size - 1
        for s in oldKeys.indices where oldKeys[s] != PairMap.empty {
            var t = slot(oldKeys[s])
            while keys[t] != PairMap.empty { t = (t + 1) & mask }
            keys[t] = oldKeys[s]
            values[t] = oldValues[s]
        }
    }
}
