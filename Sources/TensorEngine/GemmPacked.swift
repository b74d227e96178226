// Packed, cache-blocked, threaded SGEMM driver (Goto/BLIS blocking) over the C micro-kernels.
import CKernels

/// A read-only matrix view: element (r, s) is at `base[r * rowStride + s * colStride]`.
struct GemmOperand {
    let base: UnsafePointer<Float>
    let rowStride: Int
    let colStride: Int
}

enum GemmPacked {
    /// Depth of a packed block. A deeper block means fewer passes over C; 256 and 384 measured
    /// slower than 512 (a kc×32 B micro-panel of 64 KB streams from L2 as fast as from L1 here).
    static let kc = 512
    /// Rows of a packed A block and B micro-panels per group (see `multiplyBlock`): the group's
    /// 4×64 KB stay in the 1 MB L2 with the block's 168×512 floats of A (`runResidentB`, whose C
    /// block stays in L2 too, takes 84 rows), and each 14-row A strip stays in L1 across its
    /// group. Measured against 56 to 672 rows and groups of 1 (BLIS's order), 2, 8 and all strips:
    /// within 1–2 % on a quiet machine; fewer, larger blocks read B from L3 fewer times, which held
    /// up best on two threads while other jobs were busy.
    static let mcTarget = 168
    static let groupStrips = 4
    /// Columns of a packed B panel: kc×4096 floats (4 MB) stay in the 32 MB L3, shared by both cores.
    static let ncMax = 4096

    /// C of at least this many bytes (half the L3 here) is written with non-temporal stores on
    /// its last pass: it cannot stay in cache for its reader anyway, and ordinary stores would first
    /// read every line from memory and evict A and B (4096×2048×512: +2 % on one thread, +4 % on two).
    static let streamBytes = 16 << 20

    static func streamsC(m: Int, n: Int) -> Bool { m * n * 4 >= streamBytes }

    /// Rows per block: a multiple of mr near `target`. On one thread, m in equal blocks; on more,
    /// the size whose blocks keep the busiest thread shortest (⌈blocks / threads⌉·mc rows): with
    /// 25 blocks on two threads, one core idles for a whole block at the end.
    static func rowBlock(m: Int, target: Int, mr: Int, threads: Int) -> Int {
        let blocks = max(1, (m + target - 1) / target)
        let even = roundUp((m + blocks - 1) / blocks, mr)
        if threads <= 1 { return even }
        var best = even, bestRows = Int.max
        for mc in stride(from: roundUp(max(target / 2, 1), mr), through: target * 3 / 2, by: mr) {
            let rows = ((m + mc - 1) / mc + threads - 1) / threads * mc
            if rows < bestRows || (rows == bestRows && abs(mc - target) < abs(best - target)) { (best, bestRows) = (mc, rows) }
        }
        return best
    }

    /// Rows per block that give every thread at least four blocks of at least two strips.
    /// Threads take blocks as they finish, so when a thread starts late or is slowed by other
    /// work, the others wait at the end only for the block it is on: in a small product (768 rows:
    /// four blocks of 196 on two threads) one late block was a quarter of the call. Large products
    /// keep `rowBlock`'s size; products too short for such blocks keep theirs too (split by columns).
    static func itemRows(m: Int, mr: Int, threads: Int) -> Int {
        guard threads > 1, m >= 8 * threads * mr else { return Int.max }
        return roundUp((m + 4 * threads - 1) / (4 * threads), mr)
    }

    @inline(__always) static func roundUp(_ x: Int, _ to: Int) -> Int { (x + to - 1) / to * to }

    /// Steps a packed block of depth `kc` holds: `kc`, or for the bfloat16 kernels `kc` rounded up
    /// to pairs (see tk_sgemm_kernels.even_depth).
    @inline(__always) static func depth(_ kernels: tk_sgemm_kernels, _ kc: Int) -> Int {
        kernels.even_depth != 0 ? roundUp(kc, 2) : kc
    }

    /// C = alpha·A·B + bias + beta·C for m×k `a`, k×n `b` and n floats of `bias` (added to every
    /// row, by the kernels on the first pass over k), with `threads` > 1 spreading output blocks
    /// over the shared pool. Every element's sum runs over the same kc blocks in the same order,
    /// so the result does not depend on `threads`.
    static func run(
        _ kernels: tk_sgemm_kernels, m: Int, n: Int, k: Int, alpha: Float,
        a: GemmOperand, b: GemmOperand, beta: Float, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>,
        ldc: Int, threads: Int
    ) {
        guard kernels.sgemm != nil, kernels.pack_copy != nil, kernels.pack_transpose != nil else { return }
        let mr = Int(kernels.mr), nr = Int(kernels.nr)
        if fitsResidentB(m: m, n: n, k: k, nr: nr, threads: threads) {
            runResidentB(kernels, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, bias: bias, c: c, ldc: ldc,
                         threads: threads)
            return
        }
        let mc = min(rowBlock(m: m, target: mcTarget, mr: mr, threads: threads), itemRows(m: m, mr: mr, threads: threads))
        let mBlocks = (m + mc - 1) / mc
        let kcMax = depth(kernels, min(k, kc))
        let stream = streamsC(m: m, n: n)
        let packing = APacking(a)
        let bPanel = GemmBuffers.take(kcMax * roundUp(min(n, ncMax), nr))
        defer { GemmBuffers.give(bPanel) }

        for jc in stride(from: 0, to: n, by: ncMax) {
            let nCur = min(ncMax, n - jc)
            let strips = (nCur + nr - 1) / nr
            // Too few row blocks for the threads: also split the panel's columns.
            let nGroups = threads > mBlocks ? min(strips, (threads + mBlocks - 1) / mBlocks) : 1
            let stripsPerGroup = (strips + nGroups - 1) / nGroups
            for pc in stride(from: 0, to: k, by: kc) {
                let kCur = min(kc, k - pc)
                let betaNow: Float = pc == 0 ? beta : 1
                let biasNow = pc == 0 ? bias.map { $0 + jc } : nil
                let bp = bPanel.floats
                let packStrips = { (range: Range<Int>) in
                    let j0 = range.lowerBound * nr
                    packB(kernels, b, depth: pc, kc: kCur, column: jc + j0, columns: min(range.upperBound * nr, nCur) - j0,
                          into: bp + j0 * depth(kernels, kCur))
                }
                let block = { (item: Int) in
                    let i0 = (item / nGroups) * mc, mCur = min(mc, m - i0)
                    let g = item % nGroups
                    // One size for every block of the call, so buffers are reused in any order.
                    let aBlock = GemmBuffers.take(mc * kcMax)
                    defer { GemmBuffers.give(aBlock) }
                    let first = min(strips, g * stripsPerGroup), end = min(strips, (g + 1) * stripsPerGroup)
                    multiplyBlock(kernels, packing: packing, a: a, ap: aBlock.floats, row: i0, rows: mCur, depth: pc,
                                  kc: kCur, bp: bp, strips: first..<end, columns: nCur, c: c + i0 * ldc + jc, ldc: ldc,
                                  alpha: alpha, beta: betaNow, bias: biasNow, stream: stream && pc + kCur == k)
                }
                if threads > 1 {
                    ThreadPool.shared.parallelRanges(strips, grain: max(1, strips / threads), packStrips)
                    ThreadPool.shared.parallelFor(mBlocks * nGroups, block)
                } else {
                    packStrips(0..<strips)
                    for item in 0..<mBlocks * nGroups { block(item) }
                }
            }
        }
    }

    /// Packs columns col..<col+cols of B, depth pc..<pc+kc, as micro-panels of nr columns (panel q
    /// at dst + q·nr·kc).
    @inline(__always)
    static func packB(_ kernels: tk_sgemm_kernels, _ b: GemmOperand, depth pc: Int, kc: Int, column col: Int,
                      columns cols: Int, into dst: UnsafeMutablePointer<Float>) {
        let nr = Int(kernels.nr)
        if b.colStride == 1 {
            // Whole source rows at a time: reading one strip at a time would jump a row per step.
            kernels.pack_copy(b.base + pc * b.rowStride + col, Int64(b.rowStride), Int64(cols), Int64(kc), Int64(nr), dst)
        } else {
            for s in stride(from: 0, to: cols, by: nr) {
                kernels.pack_transpose(b.base + (col + s) * b.colStride + pc, Int64(b.colStride), Int64(min(nr, cols - s)),
                                       Int64(kc), Int64(nr), dst + s * depth(kernels, kc))
            }
        }
    }

    /// Rows row..<row+rows of C against B strips `strips` of a packed panel (strip s at
    /// bp + s·nr·kc, `columns` wide in all) at depth pc..<pc+kc; `c` and `bias` (nil: none) point
    /// at the panel's first column. Packs the A block into `ap` (see `APacking`: a transposed A whole, a
    /// row-major A each strip just before its first use, its source prefetched by the kernel calls
    /// before), and runs the kernel a group of B strips at a time: each A strip stays in L1 across
    /// its group, and the group stays in L2 across the block's A strips. `nextStrip`: rows of a
    /// row-major A (from row, col) the caller packs first after this block, to prefetch meanwhile.
    @inline(__always)
    static func multiplyBlock(
        _ kernels: tk_sgemm_kernels, packing: APacking, a: GemmOperand, ap: UnsafeMutablePointer<Float>,
        row i0: Int, rows mCur: Int, depth pc: Int, kc kCur: Int, bp: UnsafePointer<Float>, strips: Range<Int>,
        columns nCur: Int, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float,
        bias: UnsafePointer<Float>?, stream: Bool,
        then nextStrip: (row: Int, col: Int, rows: Int)? = nil
    ) {
        guard let kernel = kernels.sgemm, !strips.isEmpty else { return }
        let mr = Int(kernels.mr), nr = Int(kernels.nr)
        let kp = depth(kernels, kCur)
        if packing.wholeBlock { packing.packBlock(a, kernels, row: i0, col: pc, rows: mCur, kc: kCur, into: ap) }
        for g0 in stride(from: strips.lowerBound, to: strips.upperBound, by: groupStrips) {
            let g1 = min(strips.upperBound, g0 + groupStrips)
            let perStrip = g0 == strips.lowerBound && !packing.wholeBlock
            for ir in stride(from: 0, to: mCur, by: mr) {
                let strip = ap + ir * kp
                if perStrip {
                    packing.packStrip(a, kernels, row: i0 + ir, col: pc, rows: min(mr, mCur - ir), kc: kCur, into: strip)
                }
                // While the group's calls run on this strip, they fetch the source of the strip
                // packed next, a few rows each (a whole strip's 448 lines in one call outran the
                // misses memory can have in flight): the block's next strip, or after its last
                // strip, the caller's `nextStrip`.
                let calls = g1 - g0, rowsPerCall = (mr + calls - 1) / calls
                var target: (row: Int, col: Int, rows: Int)?
                if perStrip && ir + mr < mCur {
                    target = (i0 + ir + mr, pc, min(mr, mCur - ir - mr))
                } else if !packing.wholeBlock && g1 == strips.upperBound && ir + mr >= mCur {
                    target = nextStrip.map { ($0.row, $0.col, min(mr, $0.rows)) }
                }
                for s in g0..<g1 {
                    let j0 = s * nr
                    var next = (row: 0, col: 0, rows: 0)
                    if let target {
                        let first = (s - g0) * rowsPerCall
                        next = (target.row + first, target.col, max(0, min(rowsPerCall, target.rows - first)))
                    }
                    kernel(Int64(kp), strip, bp + j0 * kp, c + ir * ldc + j0, Int64(ldc),
                           Int64(min(mr, mCur - ir)), Int64(min(nr, nCur - j0)), alpha, beta, bias.map { $0 + j0 },
                           packing.source(a, row: next.row, col: next.col, rows: next.rows), Int64(a.rowStride),
                           Int64(next.rows), stream ? 1 : 0)
                }
            }
        }
    }
}
