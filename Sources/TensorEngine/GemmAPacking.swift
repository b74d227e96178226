// How SGEMM packs a block of A for the micro-kernel: strips of mr rows, each kc steps of mr floats
// (strip q of a block at q·mr·kc; see tk_sgemm_kernel_fn).
import CKernels

/// A transposed A (a strip's mr rows contiguous at each step) is packed a whole block at once: one
/// pass reads each source row's mc floats in one go. A row-major A is transposed strip by strip,
/// just before the strip's first use, its source prefetched by the kernel calls before it, so the
/// transposing reads cache and its memory traffic overlaps the arithmetic. (Copying row-major
/// strips as rows for the kernel to broadcast from, which skips the transposition, ran as fast on a
/// quiet machine and up to 12 % slower on two threads when other jobs were busy.)
struct APacking {
    let wholeBlock: Bool

    init(_ a: GemmOperand) { wholeBlock = a.rowStride == 1 && a.colStride != 1 }

    /// Packs rows row..<row+rows, columns col..<col+kc of a transposed A (all strips of a block).
    @inline(__always)
    func packBlock(_ a: GemmOperand, _ kernels: tk_sgemm_kernels, row: Int, col: Int, rows: Int, kc: Int,
                   into dst: UnsafeMutablePointer<Float>) {
        kernels.pack_copy(a.base + row + col * a.colStride, Int64(a.colStride), Int64(rows), Int64(kc),
                          Int64(kernels.mr), dst)
    }

    /// Packs rows row..<row+rows (≤ mr), columns col..<col+kc of a row-major A (one strip).
    @inline(__always)
    func packStrip(_ a: GemmOperand, _ kernels: tk_sgemm_kernels, row: Int, col: Int, rows: Int, kc: Int,
                   into dst: UnsafeMutablePointer<Float>) {
        kernels.pack_transpose(a.base + row * a.rowStride + col, Int64(a.rowStride), Int64(rows), Int64(kc),
                               Int64(kernels.mr), dst)
    }

    /// The unpacked rows row..<row+rows of a row-major A from column col, for the kernel to
    /// prefetch while it computes (the strip packed next); nil when there is nothing to fetch.
    @inline(__always)
    func source(_ a: GemmOperand, row: Int, col: Int, rows: Int) -> UnsafePointer<Float>? {
        rows > 0 ? a.base + row * a.rowStride + col : nil
    }
}
