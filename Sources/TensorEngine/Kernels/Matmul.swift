// Matrix products on tensors over the SGEMM: C = op(A)·op(B), batched over leading axes.
// For C = op_a(A)·op_b(B) the gradients are d op_a(A) = dC·op_b(B)ᵀ and d op_b(B) = op_a(A)ᵀ·dC.

/// Operand layout of a (batched) product, resolved from shapes and transpose flags.
public struct MatmulGeometry {
    public let batch: Int, m: Int, n: Int, k: Int
    public let transA: Bool, transB: Bool
    /// True when B is one matrix shared by every batch entry of A.
    public let sharedB: Bool
    public let outShape: [Int]

    public init(_ a: [Int], _ b: [Int], transA: Bool, transB: Bool) {
        precondition(a.count >= 2 && b.count >= 2, "matmul: operands need rank ≥ 2, got \(a) and \(b)")
        let m = transA ? a[a.count - 1] : a[a.count - 2]
        let ka = transA ? a[a.count - 2] : a[a.count - 1]
        let kb = transB ? b[b.count - 1] : b[b.count - 2]
        let n = transB ? b[b.count - 2] : b[b.count - 1]
        precondition(ka == kb, "matmul: inner dimensions differ: \(a)\(transA ? "ᵀ" : "") × \(b)\(transB ? "ᵀ" : "")")
        let batchA = Array(a.dropLast(2)), batchB = Array(b.dropLast(2))
        precondition(batchB.isEmpty || batchA == batchB,
                     "matmul: batch dimensions of \(a) and \(b) differ (B must be 2-D or share A's batch shape)")
        self.batch = batchA.reduce(1, *)
        (self.m, self.n, self.k, self.transA, self.transB) = (m, n, ka, transA, transB)
        self.sharedB = batchB.isEmpty && !batchA.isEmpty
        self.outShape = batchA + [m, n]
    }
}

extension Kernels {
    /// op(A)·op(B) (+ bias on the last axis), its products in `precision`.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false, bias: Tensor? = nil,
                              precision: MatmulPrecision = .f32) -> Tensor {
        let g = MatmulGeometry(a.shape, b.shape, transA: transposeA, transB: transposeB)
        let c = Tensor(uninitializedShape: g.outShape)
        if let bias {
            precondition(bias.shape == [g.n], "matmul: bias \(bias.shape) does not match output \(g.outShape)")
        }
        // The kernels add the bias as they store C: copying it into C first and accumulating onto
        // it (beta = 1) wrote and read all of C once more (small preset: ~3 % of a training step).
        let biasData = bias.map { UnsafePointer($0.data) }
        if g.sharedB && !transposeA {
            // A's batch rows stack into one tall matrix: one big GEMM instead of many small ones.
            Gemm.sgemm(transA: false, transB: transposeB, m: g.batch * g.m, n: g.n, k: g.k, alpha: 1,
                       a: a.data, lda: g.k, b: b.data, ldb: transposeB ? g.k : g.n, beta: 0, c: c.data, ldc: g.n,
                       bias: biasData, precision: precision)
        } else {
            Gemm.sgemmBatched(batch: g.batch, transA: transposeA, transB: transposeB, m: g.m, n: g.n, k: g.k, alpha: 1,
                              a: a.data, lda: transposeA ? g.m : g.k, strideA: g.m * g.k,
                              b: b.data, ldb: transposeB ? g.k : g.n, strideB: g.sharedB ? 0 : g.k * g.n,
                              beta: 0, c: c.data, ldc: g.n, strideC: g.m * g.n, bias: biasData, precision: precision)
        }
        return c
    }

    /// Gradients of `matmul(a, b, transposeA, transposeB)` with respect to a and b (stored layouts),
    /// their products in `precision`.
    public static func matmulBackward(_ a: Tensor, _ b: Tensor, transposeA ta: Bool, transposeB tb: Bool, dc: Tensor,
                                      needA: Bool = true, needB: Bool = true,
                                      precision: MatmulPrecision = .f32) -> (Tensor?, Tensor?) {
        let g = MatmulGeometry(a.shape, b.shape, transA: ta, transB: tb)
        let (m, n, k) = (g.m, g.n, g.k)
        let lda = ta ? m : k, ldb = tb ? k : n
        var da: Tensor?, db: Tensor?
        if needA {
            let out = Tensor(uninitializedShape: a.shape)
            let strideB = g.sharedB ? 0 : k * n
            if !ta {
                // dA[m,k] = dC[m,n] · op_b(B)ᵀ
                if g.sharedB {
                    Gemm.sgemm(transA: false, transB: !tb, m: g.batch * m, n: k, k: n, alpha: 1,
                               a: dc.data, lda: n, b: b.data, ldb: ldb, beta: 0, c: out.data, ldc: k, precision: precision)
                } else {
                    Gemm.sgemmBatched(batch: g.batch, transA: false, transB: !tb, m: m, n: k, k: n, alpha: 1,
                                      a: dc.data, lda: n, strideA: m * n, b: b.data, ldb: ldb, strideB: strideB,
                                      beta: 0, c: out.data, ldc: k, strideC: m * k, precision: precision)
                }
            } else {
                // dA[k,m] = op_b(B) · dCᵀ
                Gemm.sgemmBatched(batch: g.batch, transA: tb, transB: true, m: k, n: m, k: n, alpha: 1,
                                  a: b.data, lda: ldb, strideA: strideB, b: dc.data, ldb: n, strideB: m * n,
                                  beta: 0, c: out.data, ldc: m, strideC: m * k, precision: precision)
            }
            da = out
        }
        if needB {
            let out = Tensor(uninitializedShape: b.shape)
            if g.sharedB && !ta {
                // Sum over the batch by treating A's batch as extra rows.
                let rows = g.batch * m
                if !tb {
                    Gemm.sgemm(transA: true, transB: false, m: k, n: n, k: rows, alpha: 1,
                               a: a.data, lda: k, b: dc.data, ldb: n, beta: 0, c: out.data, ldc: n, precision: precision)
                } else {
                    Gemm.sgemm(transA: true, transB: false, m: n, n: k, k: rows, alpha: 1,
                               a: dc.data, lda: n, b: a.data, ldb: k, beta: 0, c: out.data, ldc: k, precision: precision)
                }
            } else {
                for i in 0..<(g.sharedB ? g.batch : 1) {
                    let batch = g.sharedB ? 1 : g.batch
                    let aOff = i * m * k, cOff = i * m * n
                    let beta: Float = i == 0 ? 0 : 1
                    if !tb {
                        // dB[k,n] = op_a(A)ᵀ · dC
                        Gemm.sgemmBatched(batch: batch, transA: !ta, transB: false, m: k, n: n, k: m, alpha: 1,
                                          a: a.data + aOff, lda: lda, strideA: m * k, b: dc.data + cOff, ldb: n, strideB: m * n,
                                          beta: beta, c: out.data, ldc: n, strideC: k * n, precision: precision)
                    } else {
                        // dB[n,k] = dCᵀ · op_a(A)
                        Gemm.sgemmBatched(batch: batch, transA: true, transB: ta, m: n, n: k, k: m, alpha: 1,
                                          a: dc.data + cOff, lda: n, strideA: m * n, b: a.data + aOff, ldb: lda, strideB: m * k,
                                          beta: beta, c: out.data, ldc: k, strideC: k * n, precision: precision)
                    }
                }
            }
            db = out
        }
        return (da, db)
    }
}
