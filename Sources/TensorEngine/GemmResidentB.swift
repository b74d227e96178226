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

    /// Row blocks as (first row, rows): blocks of `mc`, except that on more than one thread the
    /// rows of the last `threads` blocks go in pieces a quarter as tall. Threads take items as they
    /// finish, so the join waits at most for the piece that a thread slowed by other work is still
    /// on (4096×512×2048, two threads, a busy loop sharing the second core: 333–339 → 351–354
    /// GFLOP/s, medians of 21 alternated in one process; quiet: even). In `run`'s order, where each
    /// block streams all of a 4 MB B panel from L3, the same pieces ran 2–3 % slower.
    static func rowPieces(m: Int, mc: Int, mr: Int, threads: Int) -> [(row: Int, rows: Int)] {
        let blocks = (m + mc - 1) / mc
        let whole = threads > 1 ? max(0, blocks - threads) : blocks
        var pieces = (0..<whole).map { (row: $0 * mc, rows: min(mc, m - $0 * mc)) }
        let piece = roundUp(max(mr, mc / 4), mr)
        for row in stride(from: whole * mc, to: m, by: piece) { pieces.append((row, min(piece, m - row))) }
        return pieces
    }

    static func runResidentB(
        _ kernels: tk_sgemm_kernels, m: Int, n: Int, k: Int, alpha: Float,
        a: GemmOperand, b: GemmOperand, beta: Float, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>,
        ldc: Int, threads: Int
    ) {
        guard kernels.sgemm != nil else { return }
        let mr = Int(kernels.mr), nr = Int(kernels.nr)
        let nPadded = roundUp(n, nr), strips = nPadded / nr
        let mc = rowBlock(m: m, target: mcResident, mr: mr, threads: threads)
        let pieces = rowPieces(m: m, mc: mc, mr: mr, threads: threads)
        let bAll = GemmBuffers.take(depth(kernels, k) * nPadded)
        defer { GemmBuffers.give(bAll) }
        let kBlocks = (k + kc - 1) / kc
        let bp = bAll.floats

        // Block p (depth kCur) lives at p·kc·nPadded, laid out as GemmPacked.run lays out its panel.
        let packDepth = { (p: Int) in
            let pc = p * kc
            packB(kernels, b, depth: pc, kc: min(kc, k - pc), column: 0, columns: n, into: bp + pc * nPadded)
        }
        let packing = APacking(a)
        let stream = streamsC(m: m, n: n)
        let block = { (item: Int) in
            let (i0, mCur) = pieces[item]
            let aBlock = GemmBuffers.take(mc * kc)
            defer { GemmBuffers.give(aBlock) }
            for p in 0..<kBlocks {
                let pc = p * kc, kCur = min(kc, k - pc)
                multiplyBlock(kernels, packing: packing, a: a, ap: aBlock.floats, row: i0, rows: mCur, depth: pc,
                              kc: kCur, bp: bp + pc * nPadded, strips: 0..<strips, columns: n, c: c + i0 * ldc,
                              ldc: ldc, alpha: alpha, beta: p == 0 ? beta : 1, bias: p == 0 ? bias : nil,
                              stream: stream && p == kBlocks - 1,
                              then: p + 1 < kBlocks ? (i0, pc + kc, mCur) : nil)
            }
        }
        if threads > 1 {
            ThreadPool.shared.parallelFor(kBlocks, packDepth)
            ThreadPool.shared.parallelFor(pieces.count, block)
        } else {
            for p in 0..<kBlocks { packDepth(p) }
            for item in 0..<pieces.count { block(item) }
        }
    }
}
