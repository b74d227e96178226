// Packed, cache-blocked, threaded SGEMM driver (BLIS loop order) over the C micro-kernels.
import CKernels

/// A read-only matrix view: element (r, s) is at `base[r * rowStride + s * colStride]`.
struct GemmOperand {
    let base: UnsafePointer<Float>
    let rowStride: Int
    let colStride: Int
}

enum GemmPacked {
    /// Depth of a packed block. A kc×32 B micro-panel (64 KB) streams from L2 as fast as from L1
    /// here, and a deeper block halves the passes over C (measured better than 256 and 384).
    static let kc = 512
    /// Rows of a packed A block. 672×kc floats (1.4 MB) overflow the 1 MB L2, yet measured faster
    /// than 336 (which fits): each B micro-panel serves twice as many A strips before the next is
    /// streamed from L3. 4096×2048×512 on one thread +5 % (alternated, 3 runs each: 214–216 against
    /// 201–205 GFLOP/s); other shapes, two threads and the training step within noise.
    static let mcTarget = 672
    /// Columns of a packed B panel: kc×4096 floats (4 MB) stay in the 32 MB L3, shared by both cores.
    static let ncMax = 4096

    @inline(__always) static func roundUp(_ x: Int, _ to: Int) -> Int { (x + to - 1) / to * to }

    /// C = alpha·A·B + beta·C for m×k `a`, k×n `b`, with `threads` > 1 spreading output blocks
    /// over the shared pool. Every element's sum runs over the same kc blocks in the same order,
    /// so the result does not depend on `threads`.
    static func run(
        _ kernels: tk_sgemm_kernels, m: Int, n: Int, k: Int, alpha: Float,
        a: GemmOperand, b: GemmOperand, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int
    ) {
        guard let kernel = kernels.sgemm, kernels.pack_copy != nil, kernels.pack_transpose != nil else { return }
        let mr = Int(kernels.mr), nr = Int(kernels.nr)
        if fitsResidentB(m: m, n: n, k: k, nr: nr, threads: threads) {
            runResidentB(kernels, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: c, ldc: ldc, threads: threads)
            return
        }
        // Balanced row blocks; when threaded, a multiple of the thread count so no core idles.
        var mBlocks = (m + mcTarget - 1) / mcTarget
        if threads > 1 { mBlocks = min(roundUp(mBlocks, threads), (m + mr - 1) / mr) }
        let mc = roundUp((m + mBlocks - 1) / mBlocks, mr)
        mBlocks = (m + mc - 1) / mc
        let kcMax = min(k, kc)
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
                let bp = bPanel.floats
                let packStrips = { (range: Range<Int>) in
                    let j0 = range.lowerBound * nr, cols = min(range.upperBound * nr, nCur) - j0
                    if b.colStride == 1 {
                        // Whole source rows at a time: reading one strip at a time would jump a row per step.
                        kernels.pack_copy(b.base + pc * b.rowStride + jc + j0, Int64(b.rowStride), Int64(cols),
                                          Int64(kCur), Int64(nr), bp + j0 * kCur)
                    } else {
                        for s in range {
                            kernels.pack_transpose(b.base + (jc + s * nr) * b.colStride + pc, Int64(b.colStride),
                                                   Int64(min(nr, nCur - s * nr)), Int64(kCur), Int64(nr),
                                                   bp + s * nr * kCur)
                        }
                    }
                }
                let block = { (item: Int) in
                    let i0 = (item / nGroups) * mc, mCur = min(mc, m - i0)
                    let g = item % nGroups
                    // One size for every block of the call, so buffers are reused in any order.
                    let aBlock = GemmBuffers.take(mc * kcMax)
                    defer { GemmBuffers.give(aBlock) }
                    let ap = aBlock.floats
                    let first = min(strips, g * stripsPerGroup), end = min(strips, (g + 1) * stripsPerGroup)
                    let wholeBlock = first < end && packsWholeBlock(a)
                    if wholeBlock { packA(a, kernels, row: i0, col: pc, rows: mCur, kc: kCur, into: ap) }
                    for s in first..<end {
                        let j0 = s * nr, cols = min(nr, nCur - j0)
                        let bs = UnsafePointer(bp + j0 * kCur)
                        let cs = c + i0 * ldc + jc + j0
                        for ir in stride(from: 0, to: mCur, by: mr) {
                            // Each A strip is packed just before its first use, so its loads from
                            // memory overlap the kernel calls around it.
                            if s == first && !wholeBlock {
                                packA(a, kernels, row: i0 + ir, col: pc, rows: min(mr, mCur - ir), kc: kCur,
                                      into: ap + ir * kCur)
                            }
                            kernel(Int64(kCur), ap + ir * kCur, bs, cs + ir * ldc, Int64(ldc),
                                   Int64(min(mr, mCur - ir)), Int64(cols), alpha, betaNow)
                        }
                    }
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

    /// Whether A's strips are better packed a whole block at a time: a transposed A (rows
    /// contiguous along the strip) packed one strip at a time would read only mr floats of each
    /// source row per pass, a row apart; a whole block reads each source row's mc floats in one go.
    @inline(__always)
    static func packsWholeBlock(_ a: GemmOperand) -> Bool { a.rowStride == 1 && a.colStride != 1 }

    /// Packs rows row..<row+rows of `a`, columns col..<col+kc, as strips of mr rows, each kc
    /// steps of mr floats (strip q at dst + q·mr·kc); rows ≤ mr unless `packsWholeBlock(a)`.
    @inline(__always)
    static func packA(_ a: GemmOperand, _ kernels: tk_sgemm_kernels, row: Int, col: Int, rows: Int, kc: Int,
                      into dst: UnsafeMutablePointer<Float>) {
        let src = a.base + row * a.rowStride + col * a.colStride
        if a.rowStride == 1 {
            kernels.pack_copy(src, Int64(a.colStride), Int64(rows), Int64(kc), Int64(kernels.mr), dst)
        } else {
            kernels.pack_transpose(src, Int64(a.rowStride), Int64(rows), Int64(kc), Int64(kernels.mr), dst)
        }
    }
}
