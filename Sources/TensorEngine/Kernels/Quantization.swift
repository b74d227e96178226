// Symmetric int8 quantization per row, as int8 inference runs it (CKernels' packed_linear_int8.c):
// scale = max|row| / 127, value = round(x / scale) in −127...127, so x ≈ value × scale. For weight
// files: the same quantizer that packs int8 weights, so a file written from it loads the same.
import CKernels

extension Kernels {
    /// Each row of a 2-D tensor [rows, cols] as int8 values (row-major) and one scale per row; a
    /// zero row has scale 0.
    public static func quantizeRows(_ x: Tensor) -> (values: [Int8], scales: [Float]) {
        precondition(x.rank == 2, "quantizeRows: \(x.shape) is not a matrix")
        let (rows, cols) = (x.shape[0], x.shape[1])
        var values = [Int8](repeating: 0, count: rows * cols), scales = [Float](repeating: 0, count: rows)
        tk_quantize_rows_int8(x.data, Int64(cols), Int64(rows), Int64(cols), &values, Int64(cols), &scales)
        return (values, scales)
    }
}
