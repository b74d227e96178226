// How SGEMM lays out a packed block of A for the micro-kernel (see tk_sgemm_kernel_fn).
import CKernels

/// A transposed A (the mr rows of a strip contiguous at each step) is packed step by step, a
/// whole block at once: one pass reads each source row's mc floats in one go. A row-major A is
/// copied strip by strip as rows `ld` floats apart, and the kernel broadcasts from the rows: no
/// transposing pass, which cost as much as 40 % of a kernel call per strip even from cache.
struct ABlockLayout {
    /// Packed kc steps of mr floats per strip (a transposed A); else rows `ld` floats apart.
    let stepMajor: Bool
    /// Row stride of the rows layout: the depth rounded up to an odd number of 64-byte lines, so
    /// the rows of a strip fall in different L1 sets (a power-of-two stride puts all 14 in one set
    /// of 12 ways). Also a block's buffer holds mc·ld floats, enough for either layout.
    let ld: Int

    init(_ a: GemmOperand, depth: Int) {
        stepMajor = a.rowStride == 1 && a.colStride != 1
        ld = ((depth + 15) / 16 | 1) * 16
    }

    /// `lda` argument of the kernel: 0 for step-major strips.
    var kernelLda: Int64 { stepMajor ? 0 : Int64(ld) }

    /// Where the strip of rows ir..<ir+mr starts in the block (ir a multiple of mr).
    @inline(__always)
    func offset(ofStrip ir: Int, depth kc: Int) -> Int { stepMajor ? ir * kc : ir * ld }

    /// Packs rows row..<row+rows, columns col..<col+kc of a transposed A as strips of mr rows,
    /// each kc steps of mr floats (strip q at dst + q·mr·kc).
    @inline(__always)
    func packBlock(_ a: GemmOperand, _ kernels: tk_sgemm_kernels, row: Int, col: Int, rows: Int, kc: Int,
                   into dst: UnsafeMutablePointer<Float>) {
        kernels.pack_copy(a.base + row + col * a.colStride, Int64(a.colStride), Int64(rows), Int64(kc),
                          Int64(kernels.mr), dst)
    }

    /// Copies rows row..<row+rows (≤ mr), columns col..<col+kc of a row-major A to dst, `ld` apart;
    /// the rows up to mr, which the kernel reads but does not store, are zeros (not stale floats
    /// that might be subnormal and slow).
    @inline(__always)
    func copyStrip(_ a: GemmOperand, row: Int, col: Int, rows: Int, mr: Int, kc: Int,
                   into dst: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { (dst + r * ld).update(from: a.base + (row + r) * a.rowStride + col, count: kc) }
        for r in rows..<mr { (dst + r * ld).update(repeating: 0, count: kc) }
    }

    /// The unpacked rows row..<row+rows of a row-major A from column col, for the kernel to
    /// prefetch while it computes (the strip copied next); nil when there is nothing to fetch.
    @inline(__always)
    func source(_ a: GemmOperand, row: Int, col: Int, rows: Int) -> UnsafePointer<Float>? {
        rows > 0 ? a.base + row * a.rowStride + col : nil
    }
}
