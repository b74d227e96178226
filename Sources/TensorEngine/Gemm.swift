// SGEMM: C = alpha · op(A) · op(B) + beta · C, row-major, op = optional transpose.
// (Interface placeholder; the packed, blocked, threaded implementation replaces the body.)
public enum Gemm {
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in 0..<m {
            let crow = c + i * ldc
            if beta == 0 { for j in 0..<n { crow[j] = 0 } } else if beta != 1 { for j in 0..<n { crow[j] *= beta } }
            for p in 0..<k {
                let av = alpha * (transA ? a[p * lda + i] : a[i * lda + p])
                if transB { for j in 0..<n { crow[j] += av * b[j * ldb + p] } }
                else { let brow = b + p * ldb; for j in 0..<n { crow[j] += av * brow[j] } }
            }
        }
    }

    /// `batch` independent GEMMs whose operands start `strideA`, `strideB`, `strideC` floats apart
    /// (a stride of 0 reuses the same matrix for every batch entry).
    public static func sgemmBatched(
        batch: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, strideA: Int, b: UnsafePointer<Float>, ldb: Int, strideB: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int
    ) {
        for i in 0..<batch {
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                  a: a + i * strideA, lda: lda, b: b + i * strideB, ldb: ldb,
                  beta: beta, c: c + i * strideC, ldc: ldc)
        }
    }
}
