// The number format a model directory stores its weights in: float32, float16 or bfloat16 for
// every parameter, or int8 for linear and embedding weights (see Int8Weights) with the rest float32.

public enum WeightFormat: String, CaseIterable, Sendable {
    case f32, f16, bf16, int8

    /// The float format every parameter is written in; nil for int8, which writes two.
    public var floatFormat: SafetensorsTensor.FloatFormat? {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        case .int8: return nil
        }
    }
}
