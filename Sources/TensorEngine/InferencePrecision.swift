// The number format of a model's weights at inference: float32, bfloat16 or int8 (per output row,
// symmetric, as CTranslate2 and Marian quantize). Decoding at small batches is bound by the bytes
// of weights it streams per token, so fewer bytes per weight decode faster.
import CKernels

public enum InferencePrecision: String, CaseIterable, Codable, Sendable {
    case f32, bf16, int8

    /// Bytes per weight in memory (int8 adds a float scale per output row).
    public var bytesPerWeight: Int {
        switch self {
        case .f32: return 4
        case .bf16: return 2
        case .int8: return 1
        }
    }

    /// The widest reduction (inputs of a linear layer) int8 handles with exact 32-bit sums; wider
    /// layers use bfloat16 instead.
    public static let int8MaxInputs = Int(TK_INT8_MAX_K)
}
