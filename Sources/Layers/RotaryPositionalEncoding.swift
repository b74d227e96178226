// Rotary positional encoding (RoPE): rotates query and key pairs by position-dependent angles,
// q'·k' then depends only on the relative position. Works for any length.

public final class RotaryPositionalEncoding: Module {
    public let base: Float

    public init(base: Float = 10000) {
        self.base = base
        super.init()
    }

    /// x: [B, H, T, D] at positions offset..<offset+T.
    public func callAsFunction(_ x: Tensor, offset: Int = 0) -> Tensor {
        x.rotaryEmbedding(offset: offset, base: base)
    }
}
