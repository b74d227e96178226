// Which keys each query may attend to: key padding (the batch's pad positions) and the
// causal mask of the decoder (position i sees keys j ≤ i), combined into one 0/1 tensor.

public struct AttentionMask {
    /// [B, S]: non-zero where the key is padding.
    public var keyPadding: Tensor?
    /// Each query sees only keys at its own position or earlier.
    public var causal: Bool
    /// Absolute position of the first query (non-zero when decoding with a cache).
    public var queryOffset: Int

    public init(keyPadding: Tensor? = nil, causal: Bool = false, queryOffset: Int = 0) {
        self.keyPadding = keyPadding
        self.causal = causal
        self.queryOffset = queryOffset
    }

    public static let none = AttentionMask()

    /// Padding mask from token ids: 1 where `ids == padId`.
    public static func padding(_ ids: Tensor, padId: Int32) -> Tensor {
        let m = Tensor(uninitializedShape: ids.shape)
        for i in 0..<ids.count { m.data[i] = ids.intData[i] == padId ? 1 : 0 }
        return m
    }

    /// The mask as [B or 1, 1, T or 1, S] (1 = masked), or nil when nothing is masked.
    public func tensor(queries t: Int, keys s: Int) -> Tensor? {
        if keyPadding == nil && !causal { return nil }
        let b = keyPadding?.shape[0] ?? 1
        let rows = causal ? t : 1
        let out = Tensor(zeros: [b, 1, rows, s])
        let o = out.data
        if let pad = keyPadding {
            precondition(pad.shape == [b, s], "AttentionMask: key padding \(pad.shape) does not match \(s) keys")
            let p = pad.data
            for bi in 0..<b { for i in 0..<rows { (o + (bi * rows + i) * s).update(from: p + bi * s, count: s) } }
        }
        if causal {
            for bi in 0..<b {
                for i in 0..<rows where queryOffset + i + 1 < s {
                    let first = max(0, queryOffset + i + 1)
                    (o + (bi * rows + i) * s + first).update(repeating: 1, count: s - first)
                }
            }
        }
        return out
    }
}
