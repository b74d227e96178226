// SGEMM loop order for deep, narrow products (k > kc, all of B packed fits in L3), such as
// 4096×512×2048: B is packed once, whole, and each row block of C then runs through every kc
// block while it stays in L2, so C goes to memory once instead of once per kc block.
import CKernels

extension GemmPacked {
    /// Rows of a C block here: its C rows and packed A rows (2 × 84×512 floats, 344 KB) share the
    /// 1 MB L2 with a group of B micro-panels (256 KB) and the A source prefetched for packing.
    /// 168 rows filled L2, and the prefetched source was evicted before its packing read it: 56,
    /// 84 and 112 rows ran ~1 % faster than 168, alternated in one process, on 1 and 2 threads.
    static let mcResident = 84
    /// Largest packed B kept whole: 8 MB of the 32 MB L3.
    static let residentBFloats = 2 << 20

    static func fitsResidentB(m: Int, n: Int, k: Int, nr: Int, threads: Int) -> Bool {
        k > kc && k * roundUp(n, nr) <= residentBFloats && m >= 2 * mcResident * max(threads, 1)
    }

    static func runResidentB(
        _ kernels: tk_sgemm_kernels, m: Int, n: Int, k: Int, alpha: Float,
        a: GemmOperand, b: GemmOperand, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int
    ) {
        guard kernels.sgemm != nil else { return }
        let mr = Int(kernels.mr), nr = Int(kernels.nr)
        let nPadded = roundUp(n, nr), strips = nPadded / nr
        let mc = rowBlock(m: m, target: mcResident, mr: mr, threads: threads)
        let mBlocks = (m + mc - 1) / mc
        let bAll = GemmBuffers.take(k * nPadded)
        defer { GemmBuffers.give(bAll) }
        let kBlocks = (k + kc - 1) / kc
        let bp = bAll.floats

        // Block p (depth kCur) lives at p·kc·nPadded, laid out as GemmPacked.run lays out its panel.
        let packB = { (p: Int) in
            let pc = p * kc, kCur = min(kc, k - pc), dst = bp + pc * nPadded
            if b.colStride == 1 {
                kernels.pack_copy(b.base + pc * b.rowStride, Int64(b.rowStride), Int64(n), Int64(kCur), Int64(nr), dst)
            } else {
                for s in 0..<strips {
                    kernels.pack_transpose(b.base + s * nr * b.colStride + pc, Int64(b.colStride),
                                           Int64(min(nr, n - s * nr)), Int64(kCur), Int64(nr), dst + s * nr * kCur)
                }
            }
        }
        let packing = APacking(a)
        let stream = streamsC(m: m, n: n)
        let block = { (item: Int) in
            let i0 = item * mc, mCur = min(mc, m - i0)
            let aBlock = GemmBuffers.take(mc * kc)
            defer { GemmBuffers.give(aBlock) }
            for p in 0..<kBlocks {
                let pc = p * kc, kCur = min(kc, k - pc)
                multiplyBlock(kernels, packing: packing, a: a, ap: aBlock.floats, row: i0, rows: mCur, depth: pc,
                              kc: kCur, bp: bp + pc * nPadded, strips: 0..<strips, columns: n, c: c + i0 * ldc,
                              ldc: ldc, alpha: alpha, beta: p == 0 ? beta : 1, stream: stream && p == kBlocks - 1,
                              then: p + 1 < kBlocks ? (i0, pc + kc, mCur) : nil)
            }
        }
        if threads > 1 {
            ThreadPool.shared.parallelFor(kBlocks, packB)
            ThreadPool.shared.parallelFor(mBlocks, block)
        } else {
            for p in 0..<kBlocks { packB(p) }
            for item in 0..<mBlocks { block(item) }
        }
    }
}
