// Small random models and a scripted step decoder for the generation tests.
import Generation
import Models

enum TestModels {
    static func config(_ family: ModelFamily, attention: AttentionKind = .mha, positional: PositionalEncodingKind = .sinusoidal,
                       normFirst: Bool = false) -> TransformerConfig {
        var c = TransformerConfig()
        c.family = family
        c.dModel = 32; c.heads = 4; c.ff = 48; c.encoderLayers = 2; c.decoderLayers = 2
        c.srcVocab = 40; c.tgtVocab = 40; c.maxLen = 64
        c.attention = attention
        if attention == .gqa { c.kvHeads = 2 }
        c.mlaLatent = 12; c.mlaRopeDim = 4
        if attention == .mla && positional == .rope { c.mlaQueryLatent = 16 }
        c.positional = positional
        c.normFirst = normFirst
        c.dropout = 0.1   // must be off in inference mode
        return c
    }

    /// Marian's kind of encoder-decoder: one embedding for source, target and output, a bias beside
    /// the tied output layer, SiLU, sinusoids in halves, embeddings × √d.
    static func makeMarianLike(_ c: inout TransformerConfig) {
        c.shareEmbeddings = true; c.tieOutput = true; c.outputBias = true
        c.activation = .silu; c.sinusoidalLayout = .halves; c.scaleEmbedding = true
    }

    /// Gives a bias (zeros when made) values, so that a test sees whether it is added.
    static func fill(_ bias: Tensor?, seed: UInt64 = 17) {
        guard let bias else { return }
        var g = RandomGenerator(seed: seed)
        for i in 0..<bias.count { bias.data[i] = g.nextFloat() - 0.5 }
    }

    static func encoderDecoder(_ c: TransformerConfig, seed: UInt64 = 3) throws -> EncoderDecoderModel {
        let m = try EncoderDecoderModel(config: c, seed: seed)
        m.train(false)
        return m
    }

    /// Deterministic source sentences of the given lengths, ids in 3..<vocab (no specials).
    static func sources(_ lengths: [Int], vocab: Int, seed: UInt64 = 11) -> [[Int32]] {
        var g = RandomGenerator(seed: seed)
        return lengths.map { n in (0..<n).map { _ in Int32(3 + g.nextInt(below: vocab - 3)) } }
    }
}

/// A StepDecoder whose next-token log-probabilities are a function of the prefix. It keeps each
/// row's tokens in a one-float-wide KeyValueCache, so beam reordering is exercised as for a model.
final class ScriptedDecoder: StepDecoder {
    let vocabulary: Int
    let logProbabilities: ([Int32]) -> [Float]
    var positionLimit: Int? { nil }

    init(vocabulary: Int, _ logProbabilities: @escaping ([Int32]) -> [Float]) {
        self.vocabulary = vocabulary
        self.logProbabilities = logProbabilities
    }

    func start(rows: Int) -> IncrementalState {
        IncrementalState(selfAttention: [KeyValueCache(rows: rows, heads: 1, keyWidth: 1, valueWidth: 1, capacity: 2)],
                         crossAttention: [], sourcePadding: nil, sourceRows: Array(0..<rows))
    }

    func decodeStep(_ tokens: Tensor, state: IncrementalState) -> Tensor {
        let cache = state.selfAttention[0]
        let rows = tokens.shape[0]
        cache.append(keys: Tensor(tokens.intScalars.map(Float.init), shape: [rows, 1, 1, 1]), values: Tensor(zeros: [rows, 1, 1, 1]))
        var out: [Float] = []
        for r in 0..<rows {
            let p = cache.keyPointer(row: r, head: 0)
            // The prefix without <bos>.
            out += logProbabilities((1..<cache.length).map { Int32(p[$0]) })
        }
        return Tensor(out, shape: [rows, vocabulary])
    }
}
