// The non-padding positions of a batch. Everything in a Transformer layer except attention works
// position by position, and padding positions are dead ends (masked as keys, ignored by the
// loss), so training runs the residual stream — feed-forward networks, norms, dropout, the
// attention projections — on these rows only, [N, d] instead of [B, T, d], and lays rows out
// as [B, T, ·] just for the attention itself.

public struct TokenRows {
    /// Flat positions b·T + t of the non-padding tokens, in order: int32 [N].
    public let ids: Tensor
    public let batch: Int
    public let length: Int

    /// The non-padding positions of int32 tokens [B, T]; nil when there is no padding (nothing to skip)
    /// or no pad id. With `keepingFirst`, position 0 of each row is never padding (a decoder's start
    /// token, which may be the pad id: Marian starts decoding from <pad>).
    public init?(_ tokens: Tensor, padId: Int?, keepingFirst: Bool = false) {
        precondition(tokens.rank == 2 && tokens.dtype == .int32, "TokenRows: tokens \(tokens.shape) must be int32 [B, T]")
        guard let padId else { return nil }
        let rows = TokenRows.positions(tokens, padId: padId, rowLength: keepingFirst ? tokens.shape[1] : nil)
        if rows.count == tokens.count || rows.isEmpty { return nil }
        ids = Tensor(ints: rows, shape: [rows.count])
        (batch, length) = (tokens.shape[0], tokens.shape[1])
    }

    /// Flat positions of the elements of int32 `tokens` that are not `padId` (all of them without one),
    /// in order; with `rowLength`, the first position of each row of that length is always kept.
    public static func positions(_ tokens: Tensor, padId: Int?, rowLength: Int? = nil) -> [Int32] {
        guard let padId else { return (0..<tokens.count).map { Int32($0) } }
        let p = tokens.intData, pad = Int32(padId)
        var rows: [Int32] = []
        rows.reserveCapacity(tokens.count)
        if let rowLength {
            for i in 0..<tokens.count where p[i] != pad || i % rowLength == 0 { rows.append(Int32(i)) }
            return rows
        }
        for i in 0..<tokens.count where p[i] != pad { rows.append(Int32(i)) }
        return rows
    }

    /// [B, T, d] → [N, d].
    public func gather(_ x: Tensor) -> Tensor {
        x.reshaped([-1, x.shape[x.rank - 1]]).gather(ids: ids)
    }

    /// [N, d] → [B, T, d], zeros at padding.
    public func scatter(_ x: Tensor) -> Tensor {
        x.scatterRows(ids: ids, count: batch * length).reshaped([batch, length, x.shape[x.rank - 1]])
    }
}
