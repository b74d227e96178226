// The positions the loss is taken over. Cross-entropy ignores padding targets, so their rows of
// the decoder output contribute nothing to the loss or its gradient; training sends only the
// other rows through the output layer and softmax (the largest matrix product of a step), which
// gives the same loss and gradients while skipping the padding's share of that work.
import Layers

/// The rows of `hidden` [B, T, d] whose target in `targets` [B, T] (int32) is not `padId`, as
/// [N, d], with those N targets; the gradient of the rows flows back to their places in `hidden`.
public func targetRows(_ hidden: Tensor, targets: Tensor, padId: Int) -> (hidden: Tensor, targets: Tensor) {
    let d = hidden.shape[hidden.rank - 1]
    precondition(targets.dtype == .int32 && hidden.count == targets.count * d,
                 "targetRows: hidden \(hidden.shape) does not match targets \(targets.shape)")
    let flat = hidden.reshaped([-1, d]), all = targets.view([-1])
    let t = all.intData, pad = Int32(padId)
    var rows: [Int32] = [], kept: [Int32] = []
    for i in 0..<all.count where t[i] != pad {
        rows.append(Int32(i))
        kept.append(t[i])
    }
    // Nothing to skip, or nothing left (the loss then reports an empty batch as before).
    if rows.count == all.count || rows.isEmpty { return (flat, all) }
    return (flat.gather(ids: Tensor(ints: rows, shape: [rows.count])), Tensor(ints: kept, shape: [kept.count]))
}
