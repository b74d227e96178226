// `transformer bench ops`: throughput of the memory-bound kernels as GB/s, where bytes = the
// tensors each op must read plus those it must write, once (gb_per_s = bytes / ms / 1e6).
// A parallel memcpy of the same bytes ("op":"copy") is the in-run bandwidth reference.
import ArgumentParser
import Foundation
import TensorEngine

struct BenchOps: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Softmax, norms, cross-entropy, GELU, add, mul: one JSON line per op and shape, with a copy reference.")

    @Option(help: "Rows of the [rows, cols] inputs (with --cols; default: a set of training shapes).")
    var rows: Int?

    @Option(help: "Columns (last axis: model width or vocabulary size).")
    var cols: Int?

    @Option(help: "Threads (default: TRANSFORMER_THREADS or the core count).")
    var threads: Int?

    @Option(help: "Minimum timed repetitions per op (the median is reported).")
    var repeats = 7

    /// L2-, L3- and DRAM-sized working sets, and the two vocabulary sizes for cross-entropy.
    static let defaultShapes = [(256, 512), (2048, 512), (2048, 2048), (4096, 8000), (1024, 32000)]

    func validate() throws {
        if (rows == nil) != (cols == nil) { throw ValidationError("give --rows and --cols together") }
        if let rows, let cols {
            guard rows >= 1, cols >= 1 else { throw ValidationError("--rows and --cols must be at least 1 (got \(rows)×\(cols))") }
            guard rows.multipliedReportingOverflow(by: cols).partialValue <= 1 << 28, rows <= 1 << 28, cols <= 1 << 28 else {
                throw ValidationError("--rows × --cols must be at most 2^28 elements (1 GiB per tensor)")
            }
        }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be in 1...256 (got \(threads))") }
        guard (1...1000).contains(repeats) else { throw ValidationError("--repeats must be in 1...1000 (got \(repeats))") }
    }

    func run() throws {
        if let threads { ThreadPool.shared.threadCount = threads }
        let shapes = rows.flatMap { r in cols.map { [(r, $0)] } } ?? BenchOps.defaultShapes
        for (r, c) in shapes { benchShape(r, c) }
    }

    func benchShape(_ r: Int, _ c: Int) {
        var g = RandomGenerator(seed: 1)
        let x = Tensor.randn([r, c], std: 2, generator: &g), other = Tensor.randn([r, c], generator: &g)
        let gamma = Tensor.uniform([c], low: 0.5, high: 1.5, generator: &g), beta = Tensor.randn([c], generator: &g)
        let n = Double(r * c * 4)   // bytes in one [r, c] tensor
        func report(_ op: String, bytes: Double, _ body: () -> Void) {
            let ms = medianMilliseconds(body)
            print("{\"op\":\"\(op)\",\"rows\":\(r),\"cols\":\(c),\"threads\":\(ThreadPool.shared.threadCount),"
                + "\"ms\":\(String(format: "%.4f", ms)),\"gb_per_s\":\(String(format: "%.2f", bytes / ms / 1e6))}")
        }

        let dst = Tensor(uninitializedShape: [r, c])
        report("copy", bytes: 2 * n) { parallelCopy(from: x, to: dst) }
        let y = Kernels.softmax(x, axis: -1)
        report("softmax", bytes: 2 * n) { _ = Kernels.softmax(x, axis: -1) }
        report("softmax_bwd", bytes: 3 * n) { _ = Kernels.softmaxBackward(y: y, dy: other, axis: -1) }
        report("log_softmax", bytes: 2 * n) { _ = Kernels.softmax(x, axis: -1, log: true) }
        let (_, stats) = Kernels.layerNorm(x, gamma: gamma, beta: beta, eps: 1e-5)
        report("layer_norm", bytes: 2 * n) { _ = Kernels.layerNorm(x, gamma: gamma, beta: beta, eps: 1e-5) }
        report("layer_norm_bwd", bytes: 3 * n) {
            _ = Kernels.layerNormBackward(x: x, gamma: gamma, hasBeta: true, stats: stats, dy: other)
        }
        report("rms_norm", bytes: 2 * n) { _ = Kernels.layerNorm(x, gamma: gamma, beta: nil, eps: 1e-6, rms: true) }
        if c >= 1000 {
            // Forward and backward together must read the logits and write their gradient once each.
            let targets = Tensor(ints: (0..<r).map { _ in Int32(g.nextInt(below: c)) }, shape: [r])
            report("cross_entropy", bytes: 2 * n) {
                let res = Kernels.crossEntropy(logits: x, targets: targets, labelSmoothing: 0.1, ignoreIndex: -100)
                _ = Kernels.crossEntropyBackward(logits: x, targets: targets, result: res, labelSmoothing: 0.1,
                                                 ignoreIndex: -100, dLoss: 1)
            }
        }
        report("gelu", bytes: 2 * n) { _ = Kernels.unary(x, .gelu) }
        report("add", bytes: 3 * n) { _ = Kernels.binary(x, other, .add) }
        report("mul", bytes: 3 * n) { _ = Kernels.binary(x, other, .mul) }
    }

    /// Median wall time of `body` in milliseconds, after two warm-up runs; repeats at least
    /// `repeats` times and until about 0.3 s has been spent.
    func medianMilliseconds(_ body: () -> Void) -> Double {
        body(); body()
        var times: [Double] = []
        var spent = 0.0
        while times.count < repeats || (spent < 300 && times.count < 200) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            times.append(ms)
            spent += ms
        }
        times.sort()
        return times[times.count / 2]
    }

    /// memcpy split into the same kind of row chunks the kernels use.
    func parallelCopy(from src: Tensor, to dst: Tensor) {
        let p = UnsafeRawPointer(src.data), q = UnsafeMutableRawPointer(dst.data), bytes = src.count * 4
        let lines = max(1, bytes / 64)
        ThreadPool.shared.parallelRanges(lines, grain: 1 << 10) { r in
            let end = r.upperBound == lines ? bytes : r.upperBound * 64
            (q + r.lowerBound * 64).copyMemory(from: p + r.lowerBound * 64, byteCount: end - r.lowerBound * 64)
        }
    }
}
