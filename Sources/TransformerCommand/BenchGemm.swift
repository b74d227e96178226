// `transformer bench gemm`: SGEMM throughput in GFLOP/s, one JSON line per shape.
import ArgumentParser
import Foundation
import TensorEngine

struct BenchGemm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Measure SGEMM throughput (C = A·B, row-major, float32).",
        discussion: """
            Prints one JSON line per shape, {"m":M,"n":N,"k":K,"threads":T,"gflops":G}, where G is \
            2·M·N·K divided by the median of --repeats timed samples taken after a warm-up. A sample \
            repeats the GEMM for at least 50 ms, so small shapes are timed reliably. With no shape it \
            runs 512³, 1024³, 2048³, 4096×512×2048, 4096×2048×512 and 4096×512×512 (M×N×K). \
            --trans-a / --trans-b time the transposed forms the layers' backward and forward passes use \
            (the line then says "trans_a":true / "trans_b":true). --precision bf16 times the \
            mixed-precision GEMM of bf16 training (bfloat16 operands, float32 sums; the line then says \
            "precision":"bf16","bf16_level":L, --bf16-level picking a lower kernel level). \
            Compare with PyTorch: scripts/bench_torch_gemm.py.
            """)

    @Option(help: "Rows of A and C (give --m, --n and --k together).")
    var m: Int?
    @Option(help: "Columns of B and C.")
    var n: Int?
    @Option(help: "Columns of A, rows of B (the reduction length).")
    var k: Int?
    @Flag(help: "Use Aᵀ: A is stored k×m (as in a weight gradient, Xᵀ·dY).")
    var transA = false
    @Flag(help: "Use Bᵀ: B is stored n×k (as in a linear layer, X·Wᵀ).")
    var transB = false
    @Option(help: "Threads to use (default: TRANSFORMER_THREADS or the number of cores).")
    var threads: Int?
    @Option(help: "Timed samples per shape; the median is reported.")
    var repeats: Int = 7
    @Option(help: "Products: f32, or bf16 (bfloat16 operands, float32 sums).")
    var precision: MatmulPrecision = .f32
    @Option(help: "With --precision bf16: kernel level, 3 = vdpbf16ps, 2 = AVX-512, 1 = AVX2, 0 = C (default: the best).")
    var bf16Level: Int?

    static let defaultShapes = [
        (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
        (4096, 512, 2048), (4096, 2048, 512), (4096, 512, 512),
    ]
    /// Largest matrix the benchmark will allocate (1 GiB of floats).
    static let maxElements = 1 << 28

    func validate() throws {
        let given = [m, n, k].compactMap { $0 }
        if !given.isEmpty && given.count != 3 { throw ValidationError("Give --m, --n and --k together.") }
        if given.contains(where: { $0 < 1 }) { throw ValidationError("--m, --n and --k must be at least 1.") }
        if let m, let n, let k, [(m, k), (k, n), (m, n)].contains(where: { x, y in
            let (product, overflow) = x.multipliedReportingOverflow(by: y)
            return overflow || product > Self.maxElements
        }) {
            throw ValidationError("Each matrix must have at most \(Self.maxElements) elements.")
        }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256.") }
        if repeats < 1 || repeats > 1000 { throw ValidationError("--repeats must be in 1...1000.") }
        if let bf16Level, !(0...3).contains(bf16Level) { throw ValidationError("--bf16-level must be in 0...3.") }
    }

    func run() throws {
        if let threads { ThreadPool.shared.threadCount = threads }
        if let bf16Level { Gemm.bf16Level = bf16Level }
        let shapes = m.flatMap { m in n.flatMap { n in k.map { k in [(m, n, k)] } } } ?? Self.defaultShapes
        for (m, n, k) in shapes {
            let gflops = Self.measure(m: m, n: n, k: k, transA: transA, transB: transB, repeats: repeats, precision: precision)
            let transposes = (transA ? "\"trans_a\":true," : "") + (transB ? "\"trans_b\":true," : "")
                + (precision == .bf16 ? "\"precision\":\"bf16\",\"bf16_level\":\(Gemm.bf16Level)," : "")
            print("{\"m\":\(m),\"n\":\(n),\"k\":\(k),\(transposes)\"threads\":\(ThreadPool.shared.threadCount),"
                  + "\"gflops\":\(String(format: "%.1f", gflops))}")
            fflush(stdout)
        }
    }

    static func measure(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, repeats: Int,
                        precision: MatmulPrecision = .f32) -> Double {
        // Cheap deterministic values in [-1, 1): the system generator would take seconds.
        var state: UInt32 = 1
        let next = { () -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 23) - 1
        }
        // 64-byte aligned, as tensor storage is (a Swift array's elements start 16 bytes past a line).
        func buffer(_ count: Int, _ fill: () -> Float) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: count)
            for i in 0..<count { p[i] = fill() }
            return p
        }
        let a = buffer(m * k, next), b = buffer(k * n, next), c = buffer(m * n, { 0 })
        defer { for p in [a, b, c] { p.deallocate() } }
        let gemm = {
            Gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: transA ? m : k,
                       b: b, ldb: transB ? k : n, beta: 0, c: c, ldc: n, precision: precision)
        }
        // Warm-up, and enough calls per sample to last 50 ms.
        gemm()
        let once = max(seconds(gemm), 1e-7)
        let calls = max(1, Int(0.05 / once))
        var samples: [Double] = []
        for _ in 0..<repeats {
            samples.append(seconds { for _ in 0..<calls { gemm() } } / Double(calls))
        }
        samples.sort()
        return 2 * Double(m) * Double(n) * Double(k) / samples[samples.count / 2] / 1e9
    }

    static func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
