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

    /// The non-padding positions of int32 tokens [B, T]; nil when there is no padding (nothing to skip).
    public init?(_ tokens: Tensor, padId: Int) {
        precondition(tokens.rank == 2 && tokens.dtype == .int32, "TokenRows: tokens \(tokens.shape) must be int32 [B, T]")
        let rows = TokenRows.positions(tokens, padId: padId)
        if rows.count == tokens.count || rows.isEmpty { return nil }
        ids = Tensor(ints: rows, shape: [rows.count])
        (batch, length) = (tokens.shape[0], tokens.shape[1])
    }

    /// Flat positions of the elements of int32 `tokens` that are not `padId`, in order.
    public static func positions(_ tokens: Tensor, padId: Int) -> [Int32] {
        let p = tokens.intData, pad = Int32(padId)
        var rows: [Int32] = []
        rows.reserveCapacity(tokens.count)
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
