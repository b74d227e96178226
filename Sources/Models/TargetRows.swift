// The positions the loss is taken over. Cross-entropy ignores padding targets, so their rows of
// the decoder output contribute nothing to the loss or its gradient; training sends only the
// other rows through the output layer and softmax (the largest matrix product of a step), which
// gives the same loss and gradients while skipping the padding's share of that work. The layers
// below skip padding the same way (see `TokenRows`).
import Layers

/// The rows of `hidden` [B, T, d] whose target in `targets` [B, T] (int32) is not `padId`, as
/// [N, d], with those N targets; the gradient of the rows flows back to their places in `hidden`.
/// With `rows`, hidden already holds only those positions, [N, d] (see `TokenRows`).
public func targetRows(_ hidden: Tensor, targets: Tensor, padId: Int?, rows: TokenRows? = nil) -> (hidden: Tensor, targets: Tensor) {
    let all = targets.view([-1])
    let places = TokenRows.positions(all, padId: padId)
    let kept = places.map { all.intData[Int($0)] }
    if let rows {
        // The decoder ran on its input's non-padding positions: usually exactly the targets'.
        if rows.ids.intScalars == places { return (hidden, Tensor(ints: kept, shape: [kept.count])) }
        return targetRows(rows.scatter(hidden), targets: targets, padId: padId)
    }
    let d = hidden.shape[hidden.rank - 1]
    precondition(targets.dtype == .int32 && hidden.count == targets.count * d,
                 "targetRows: hidden \(hidden.shape) does not match targets \(targets.shape)")
    let flat = hidden.reshaped([-1, d])
    // Nothing to skip, or nothing left (the loss then reports an empty batch as before).
    if places.count == all.count || places.isEmpty { return (flat, all) }
    return (flat.gather(ids: Tensor(ints: places, shape: [places.count])), Tensor(ints: kept, shape: [kept.count]))
}
