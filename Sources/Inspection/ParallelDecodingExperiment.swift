// Experiment 9, parallel training and sequential decoding (the paper, §1 and §4: self-attention
// lets every position be computed at once in training, while "the decoder is auto-regressive"):
// time per target token of one teacher-forced pass over all T positions, against T steps of one
// token each, with the KV cache (each step attends over what is cached) and without it (each
// step recomputes the whole prefix, so a step costs more as the prefix grows).
import Foundation
import Models
import Training

public struct ParallelDecodingExperiment: Experiment {
    public let name = "parallel-decoding"
    public let claim = """
        Parallel training, sequential decoding: computing every target position at once (training) costs far less \
        per token than producing them one at a time; without a KV cache a step's cost grows with the prefix.
        """

    public init() {}

    public func run(_ context: ExperimentContext) throws -> ExperimentResult {
        var c = TransformerConfig()
        // The bundled model's shape (3 + 3 layers, d_model 256, 8 heads), random weights: time does not depend on them.
        (c.dModel, c.heads, c.ff, c.encoderLayers, c.decoderLayers, c.srcVocab, c.tgtVocab) = (256, 8, 1024, 3, 3, 8000, 8000)
        if context.quick { (c.dModel, c.ff, c.encoderLayers, c.decoderLayers, c.srcVocab, c.tgtVocab) = (128, 512, 2, 2, 1000, 1000) }
        let lengths = context.quick ? [8, 16, 32] : [8, 16, 32, 64, 128]
        let repeats = context.quick ? 3 : 5
        let model = try EncoderDecoderModel(config: c, seed: 9)
        model.train(false)
        var g = RandomGenerator(seed: 21)
        func ids(_ n: Int) -> [Int32] { (0..<n).map { _ in Int32(3 + g.nextInt(below: c.tgtVocab - 3)) } }
        let source = Tensor(ints: ids(20), shape: [1, 20])
        let (memory, padding) = withNoGrad { model.encode(source) }
        let targets = lengths.map { ids($0) }
        // Every (length, way) once per round, rounds alternating, then the median of the rounds: the
        // machine is shared, and noise then falls on every case alike.
        var times = [[[Double]]](repeating: [[Double]](repeating: [], count: lengths.count), count: 3)
        for round in 0...repeats {
            for (i, target) in targets.enumerated() {
                let t = target.count
                let all = Tensor(ints: target, shape: [1, t])
                let ways: [() -> Void] = [
                    { _ = model.project(model.decode(all, memory: memory, sourcePadding: padding)) },
                    {
                        let state = model.startDecoding(memory: memory, sourcePadding: padding, capacity: t)
                        for token in target { _ = model.decodeStep(Tensor(ints: [token], shape: [1, 1]), state: state) }
                    },
                    {
                        for n in 1...t {
                            let h = model.decode(Tensor(ints: Array(target.prefix(n)), shape: [1, n]), memory: memory, sourcePadding: padding)
                            _ = model.project(h.slice(axis: 1, (n - 1)..<n))
                        }
                    },
                ]
                for (w, way) in ways.enumerated() {
                    let seconds = medianSeconds(repeats: 1) { withNoGrad(way) } / Double(t)
                    if round > 0 { times[w][i].append(seconds) }   // round 0 warms up (weights packed for decoding, buffers)
                }
            }
            context.log("round \(round) of \(repeats)")
        }
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        let (parallel, cached, uncached) = (times[0].map(median), times[1].map(median), times[2].map(median))
        let x = lengths.map(Double.init)
        func ms(_ v: [Double]) -> [Double] { v.map { $0 * 1000 } }
        let figure = try context.figure("parallel-decoding.svg", SVGPlot.chart(
            title: "Time per target token (d_model \(c.dModel), \(c.decoderLayers) decoder layers, 1 sentence)",
            xLabel: "target length T", yLabel: "ms per token",
            series: [PlotSeries(name: "all at once (training)", color: "#1f77b4", points: Array(zip(x, ms(parallel)))),
                     PlotSeries(name: "one by one, KV cache", color: "#2ca02c", points: Array(zip(x, ms(cached)))),
                     PlotSeries(name: "one by one, no cache", color: "#d62728", points: Array(zip(x, ms(uncached))))]))
        let last = lengths.count - 1
        let held = zip(parallel, cached).allSatisfy { $0 < $1 } && uncached[last] / uncached[0] > 2 * cached[last] / cached[0]
        let conclusion = String(format: """
            At T = %d a token costs %.3f ms computed with all the others, %.3f ms decoded with the KV cache (%.1f×) and \
            %.3f ms without (%.1f×). At T = %d: %.3f, %.3f and %.3f ms. A cached step's cost grows %.1f× from T = %d to %d, \
            an uncached one's %.1f×. %@
            """, lengths[last], parallel[last] * 1000, cached[last] * 1000, cached[last] / parallel[last],
            uncached[last] * 1000, uncached[last] / parallel[last], lengths[0], parallel[0] * 1000, cached[0] * 1000, uncached[0] * 1000,
            cached[last] / cached[0], lengths[0], lengths[last], uncached[last] / uncached[0], held ? "The claim holds." : "The claim does not hold as measured.")
        return ExperimentResult(conclusion: conclusion, held: held, numbers: [
            "target_lengths": .integers(lengths), "d_model": .number(Double(c.dModel)), "decoder_layers": .number(Double(c.decoderLayers)),
            "threads": .number(Double(ThreadPool.shared.threadCount)),
            "seconds_per_token_parallel": .numbers(parallel), "seconds_per_token_cached": .numbers(cached),
            "seconds_per_token_uncached": .numbers(uncached),
        ], figures: [figure])
    }
}
