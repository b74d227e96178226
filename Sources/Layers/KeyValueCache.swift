// The KV cache of autoregressive decoding (the paper, §3.2.3: each decoder position attends to
// all earlier ones): the keys and values of one attention layer for every sequence being decoded,
// so each new token computes only its own. One contiguous buffer [rows, heads, capacity, width]
// per layer; each (row, head) block holds its positions in order, so the first `length` of them
// are one matrix a GEMM reads in place. GQA/MQA store only the key/value heads; MLA stores one
// "head" holding the normalised latent and the RoPE key, which serves as key and (its first
// part) as value.

public final class KeyValueCache {
    public let heads: Int
    public let keyWidth: Int
    public let valueWidth: Int
    /// True when each value is the first `valueWidth` floats of its key row (MLA's latent).
    public let valuesInKeys: Bool
    public private(set) var rows: Int
    public private(set) var length: Int
    public private(set) var capacity: Int
    private var keys: Tensor
    private var values: Tensor?

    /// An empty cache for `rows` sequences with room for `capacity` positions (it grows if needed).
    public init(rows: Int, heads: Int, keyWidth: Int, valueWidth: Int, valuesInKeys: Bool = false, capacity: Int) {
        precondition(!valuesInKeys || valueWidth <= keyWidth, "KeyValueCache: values wider than the key rows holding them")
        self.rows = rows
        self.heads = heads
        self.keyWidth = keyWidth
        self.valueWidth = valueWidth
        self.valuesInKeys = valuesInKeys
        length = 0
        self.capacity = max(capacity, 1)
        keys = Tensor(uninitializedShape: [rows, heads, self.capacity, keyWidth])
        values = valuesInKeys ? nil : Tensor(uninitializedShape: [rows, heads, self.capacity, valueWidth])
    }

    /// A full cache holding keys [R, H, S, dk] and values [R, H, S, dv] as they are (cross-attention).
    public init(keys: Tensor, values: Tensor) {
        precondition(keys.rank == 4 && values.rank == 4 && Array(keys.shape.prefix(3)) == Array(values.shape.prefix(3)),
                     "KeyValueCache: keys \(keys.shape) and values \(values.shape) do not fit")
        (rows, heads, length, keyWidth) = (keys.shape[0], keys.shape[1], keys.shape[2], keys.shape[3])
        capacity = length
        valueWidth = values.shape[3]
        valuesInKeys = false
        self.keys = keys
        self.values = values
    }

    /// Start of the keys of (row, head); positions are `keyWidth` floats apart.
    public func keyPointer(row: Int, head: Int) -> UnsafeMutablePointer<Float> {
        keys.data + (row * heads + head) * capacity * keyWidth
    }

    /// Start of the values of (row, head) and the distance between positions.
    public func valuePointer(row: Int, head: Int) -> (UnsafeMutablePointer<Float>, stride: Int) {
        guard let values else { return (keyPointer(row: row, head: head), keyWidth) }
        return (values.data + (row * heads + head) * capacity * valueWidth, valueWidth)
    }

    /// Appends T positions: keys [rows, heads, T, keyWidth] and values [rows, heads, T, valueWidth].
    public func append(keys k: Tensor, values v: Tensor? = nil) {
        let t = k.shape[2]
        precondition(k.shape == [rows, heads, t, keyWidth] && (v == nil) == valuesInKeys,
                     "KeyValueCache.append: keys \(k.shape) do not fit \(rows) rows × \(heads) heads × \(keyWidth)")
        if let v { precondition(v.shape == [rows, heads, t, valueWidth], "KeyValueCache.append: values \(v.shape) do not fit") }
        if length + t > capacity { grow(to: max(2 * capacity, length + t)) }
        for r in 0..<rows {
            for h in 0..<heads {
                let block = (r * heads + h) * t
                (keyPointer(row: r, head: h) + length * keyWidth).update(from: k.data + block * keyWidth, count: t * keyWidth)
                if let v {
                    let (dst, w) = valuePointer(row: r, head: h)
                    (dst + length * w).update(from: v.data + block * w, count: t * w)
                }
            }
        }
        length += t
    }

    /// Keeps rows `source` in that order: new row i is old row source[i] (beam reordering, and
    /// dropping finished sequences). Only the filled positions are copied.
    public func select(rows source: [Int]) {
        precondition(source.allSatisfy { $0 >= 0 && $0 < rows }, "KeyValueCache.select: row out of range")
        if source == Array(0..<rows) { return }
        keys = KeyValueCache.gather(keys, source, heads: heads, capacity: capacity, width: keyWidth, length: length)
        if let values {
            self.values = KeyValueCache.gather(values, source, heads: heads, capacity: capacity, width: valueWidth, length: length)
        }
        rows = source.count
    }

    private static func gather(_ t: Tensor, _ source: [Int], heads: Int, capacity: Int, width: Int, length: Int) -> Tensor {
        let out = Tensor(uninitializedShape: [source.count, heads, capacity, width])
        let block = capacity * width
        for (i, r) in source.enumerated() {
            for h in 0..<heads {
                (out.data + (i * heads + h) * block).update(from: t.data + (r * heads + h) * block, count: length * width)
            }
        }
        return out
    }

    private func grow(to newCapacity: Int) {
        func regrown(_ t: Tensor, width: Int) -> Tensor {
            let out = Tensor(uninitializedShape: [rows, heads, newCapacity, width])
            for b in 0..<(rows * heads) {
                (out.data + b * newCapacity * width).update(from: t.data + b * capacity * width, count: length * width)
            }
            return out
        }
        keys = regrown(keys, width: keyWidth)
        if let values { self.values = regrown(values, width: valueWidth) }
        capacity = newCapacity
    }
}
