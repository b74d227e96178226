// SGEMM: C = alpha · op(A) · op(B) + bias + beta · C, row-major, op = optional transpose, bias an
// optional row of n floats added to every row of C (a linear layer's bias).
// Packed and blocked over run-time-dispatched C micro-kernels (see GemmPacked.swift); results do
// not depend on the thread count because work is split over rows and columns of C, never over k.
// In `MatmulPrecision.bf16` the operands are rounded to bfloat16 as they are packed and the
// products summed in float32 (sgemm_bf16.c): mixed-precision training's matrix products.
import CKernels
import Synchronization

public enum Gemm {
    private static let kernelTable = (0...2).map { tk_sgemm_kernels_for_level(Int32($0)) }
    private static let level = Atomic<Int>(Int(tk_simd_level()))

    /// SIMD level of the kernels in use: 2 = AVX-512, 1 = AVX2+FMA, 0 = portable C. Defaults to the
    /// best this CPU has; set it lower to test or compare the fallbacks (higher is clamped).
    public static var simdLevel: Int {
        get { level.load(ordering: .relaxed) }
        set { level.store(Int(tk_sgemm_kernels_for_level(Int32(clamping: newValue)).level), ordering: .relaxed) }
    }

    private static let bf16KernelTable = (0...3).map { tk_sgemm_bf16_kernels_for_level(Int32($0)) }
    private static let bf16LevelSetting = Atomic<Int>(Int(tk_sgemm_bf16_best_level()))

    /// Level of the bfloat16 kernels in use: 3 = AVX512_BF16 (`vdpbf16ps`), 2 = AVX-512, 1 = AVX2,
    /// 0 = portable C; every level gives the same results. Defaults to the fastest here (3 only where
    /// `vdpbf16ps` outpaces float32 FMAs: see tk_sgemm_bf16_best_level); set it to test or compare
    /// the others (above what the CPU has is clamped).
    public static var bf16Level: Int {
        get { bf16LevelSetting.load(ordering: .relaxed) }
        set { bf16LevelSetting.store(Int(tk_sgemm_bf16_kernels_for_level(Int32(clamping: newValue)).level), ordering: .relaxed) }
    }

    static func kernels(_ precision: MatmulPrecision) -> tk_sgemm_kernels {
        precision == .bf16 ? bf16KernelTable[bf16Level] : kernelTable[simdLevel]
    }

    /// Below this many multiply-adds (m·n·k, about 128³: ~20 µs on one core) a GEMM runs on the
    /// calling thread: a pool loop costs ~2 µs per fork-join and two per k block, and more when the
    /// worker must be woken.
    static let parallelThreshold = 1 << 21

    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil,
        precision: MatmulPrecision = .f32
    ) {
        single(kernels(precision), transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
               a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, bias: bias,
               maxThreads: ThreadPool.shared.threadCount)
    }

    /// `batch` independent GEMMs whose operands start `strideA`, `strideB`, `strideC` floats apart
    /// (a stride of 0 reuses the same matrix for every batch entry); `bias` is shared by all.
    public static func sgemmBatched(
        batch: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, strideA: Int, b: UnsafePointer<Float>, ldb: Int, strideB: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int, bias: UnsafePointer<Float>? = nil,
        precision: MatmulPrecision = .f32
    ) {
        if batch <= 0 || m <= 0 || n <= 0 { return }
        let kernels = kernels(precision)
        let threads = ThreadPool.shared.threadCount
        let one = { (i: Int, maxThreads: Int) in
            single(kernels, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                   a: a + i * strideA, lda: lda, b: b + i * strideB, ldb: ldb,
                   beta: beta, c: c + i * strideC, ldc: ldc, bias: bias, maxThreads: maxThreads)
        }
        // Many or small GEMMs (attention heads): one whole GEMM per task. A shared C (stride 0)
        // must be updated in order.
        let small = Double(m) * Double(n) * Double(max(k, 1)) < Double(parallelThreshold)
        if threads > 1 && strideC != 0 && (batch >= 2 * threads || (small && batch > 1))
            && Double(batch) * Double(m) * Double(n) * Double(max(k, 1)) >= Double(parallelThreshold) {
            ThreadPool.shared.parallelFor(batch) { one($0, 1) }
        } else {
            for i in 0..<batch { one(i, threads) }
        }
    }

    static func single(
        _ kernels: tk_sgemm_kernels, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, maxThreads: Int
    ) {
        if m <= 0 || n <= 0 { return }
        var beta = beta
        // The bfloat16 kernels have no GEMV: one row or column of C goes through the packed path.
        let vector = kernels.even_depth == 0 && (m == 1 || n == 1)
        if let bias, k <= 0 || alpha == 0 || vector {
            // Paths without a bias in their kernels: C = beta·C + bias first, then accumulate.
            for i in 0..<m {
                let row = c + i * ldc
                for j in 0..<n { row[j] = beta == 0 ? bias[j] : beta * row[j] + bias[j] }
            }
            beta = 1
        }
        if k <= 0 || alpha == 0 {
            scale(c, m: m, n: n, ldc: ldc, beta: beta)
            return
        }
        let threads = Double(m) * Double(n) * Double(k) >= Double(parallelThreshold) ? maxThreads : 1
        let opA = transA ? GemmOperand(base: a, rowStride: 1, colStride: lda)
                         : GemmOperand(base: a, rowStride: lda, colStride: 1)
        let opB = transB ? GemmOperand(base: b, rowStride: 1, colStride: ldb)
                         : GemmOperand(base: b, rowStride: ldb, colStride: 1)
        if vector && m == 1 {
            // One row of C: x = op(A)'s row times op(B).
            GemmVector.run(kernels, outputs: n, k: k, alpha: alpha, x: opA.base, xStride: opA.colStride,
                           matrix: opB, beta: beta, y: c, yStride: 1, threads: threads)
        } else if vector {
            // One column of C: op(B)'s column times op(A)ᵀ.
            GemmVector.run(kernels, outputs: m, k: k, alpha: alpha, x: opB.base, xStride: opB.rowStride,
                           matrix: GemmOperand(base: opA.base, rowStride: opA.colStride, colStride: opA.rowStride),
                           beta: beta, y: c, yStride: ldc, threads: threads)
        } else {
            GemmPacked.run(kernels, m: m, n: n, k: k, alpha: alpha, a: opA, b: opB, beta: beta, bias: bias,
                           c: c, ldc: ldc, threads: threads)
        }
    }

    /// C = beta·C, where beta == 0 clears C whatever it held.
    static func scale(_ c: UnsafeMutablePointer<Float>, m: Int, n: Int, ldc: Int, beta: Float) {
        if beta == 1 { return }
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 { row.update(repeating: 0, count: n) } else { for j in 0..<n { row[j] *= beta } }
        }
    }
}
