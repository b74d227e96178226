// The number format of training's matrix products: float32, or mixed precision with bfloat16
// operands and float32 sums (as PyTorch's autocast to bfloat16 runs them). Weights, gradients,
// optimizer state and every other op stay float32 either way.

public enum MatmulPrecision: String, CaseIterable, Codable, Sendable {
    case f32, bf16

    /// The precision differentiable matrix products take (`Tensor.matmul`, `Tensor.linear`) in the
    /// current task or thread; float32 unless a caller chose otherwise with `with(_:_:)`.
    @TaskLocal public static var current: MatmulPrecision = .f32

    /// Runs `body` with differentiable matrix products in `precision`.
    public static func with<T>(_ precision: MatmulPrecision, _ body: () throws -> T) rethrows -> T {
        try $current.withValue(precision, operation: body)
    }
}
