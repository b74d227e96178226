// Cached incremental decoding equals running the whole prefix through the model: same logits
// within 1e-5 (1e-4 in bfloat16 and int8, whose rounding of activations magnifies the float
// differences of MLA's absorbed cached path) and the same greedy tokens, for every attention variant
// and positional encoding, encoder-decoder and decoder-only, with float32, bfloat16 and int8 weights.
import XCTest
import Generation
import Models

final class CachedDecodingTests: XCTestCase {
    static let attentions: [AttentionKind] = [.mha, .gqa, .mqa, .mla]

    func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// Steps two sentences (different source lengths) and compares each step with the uncached decoder.
    func checkEncoderDecoder(_ c: TransformerConfig, steps: Int = 7, precision: InferencePrecision = .f32) throws {
        let model = try TestModels.encoderDecoder(c)
        TestModels.fill(model.outputBias)
        model.setInferencePrecision(precision, releasingFloatWeights: true)
        let sources = TestModels.sources([6, 3], vocab: c.srcVocab)
        let src = Tensor(ints: sources[0] + sources[1] + [0, 0, 0], shape: [2, 6])
        withNoGrad {
            let (memory, padding) = model.encode(src)
            let state = model.startDecoding(memory: memory, sourcePadding: padding, capacity: 2)   // grows on the way
            var prefix: [[Int32]] = [[1], [1]]
            for step in 0..<steps {
                let cached = model.decodeStep(Tensor(ints: prefix.map { $0.last! }, shape: [2, 1]), state: state)
                let full = model.project(model.decode(Tensor(ints: prefix.flatMap { $0 }, shape: [2, step + 1]),
                                                      memory: memory, sourcePadding: padding))
                let last = full.slice(axis: 1, step..<(step + 1)).view([2, -1])
                let d = maxDifference(cached, last)
                XCTAssertLessThan(d, precision == .f32 ? 1e-5 : 1e-4, "\(c.attention) \(c.positional) \(precision) step \(step)")
                for r in 0..<2 {
                    let row = Array(last.scalars[(r * c.tgtVocab)..<((r + 1) * c.tgtVocab)])
                    let cachedRow = Array(cached.scalars[(r * c.tgtVocab)..<((r + 1) * c.tgtVocab)])
                    let token = Int32(row.indices.max { row[$0] < row[$1] }!)
                    XCTAssertEqual(token, Int32(cachedRow.indices.max { cachedRow[$0] < cachedRow[$1] }!))
                    prefix[r].append(token == 0 ? 3 : token)   // never feed padding
                }
            }
            XCTAssertEqual(state.position, steps)
        }
    }

    func checkDecoderOnly(_ c: TransformerConfig, precision: InferencePrecision = .f32) throws {
        let model = try DecoderOnlyModel(config: c, seed: 5)
        model.train(false)
        TestModels.fill(model.outputBias)
        model.setInferencePrecision(precision, releasingFloatWeights: true)
        let prompt = TestModels.sources([4, 4], vocab: c.tgtVocab, seed: 2)
        withNoGrad {
            let state = model.startDecoding(rows: 2, capacity: 3)
            var seqs = prompt
            // The prompt in one pass, then one token at a time.
            var logits = model.decodeStep(Tensor(ints: seqs.flatMap { $0 }, shape: [2, 4]), state: state)
            for _ in 0..<6 {
                let t = seqs[0].count
                let full = model(Tensor(ints: seqs.flatMap { $0 }, shape: [2, t])).slice(axis: 1, (t - 1)..<t).view([2, -1])
                XCTAssertLessThan(maxDifference(logits, full), precision == .f32 ? 1e-5 : 1e-4, "\(c.attention) \(c.positional) \(precision) at \(t)")
                let next: [Int32] = (0..<2).map { r in
                    let row = Array(full.scalars[(r * c.tgtVocab)..<((r + 1) * c.tgtVocab)])
                    let token = Int32(row.indices.max { row[$0] < row[$1] }!)
                    return token == 0 ? 3 : token
                }
                for r in 0..<2 { seqs[r].append(next[r]) }
                logits = model.decodeStep(Tensor(ints: next, shape: [2, 1]), state: state)
            }
        }
    }

    func testEncoderDecoderEveryAttentionAndPosition() throws {
        for attention in Self.attentions {
            for positional in PositionalEncodingKind.allCases {
                try checkEncoderDecoder(TestModels.config(.encoderDecoder, attention: attention, positional: positional))
            }
        }
    }

    func testEncoderDecoderMarianLikeTiedOutput() throws {
        var c = TestModels.config(.encoderDecoder)
        TestModels.makeMarianLike(&c)
        try checkEncoderDecoder(c)
    }

    func testDecoderOnlyTiedOutputWithBias() throws {
        var c = TestModels.config(.decoderOnly, normFirst: true)
        c.tieOutput = true; c.outputBias = true
        try checkDecoderOnly(c)
    }

    /// Cached and uncached passes run the same packed kernels row by row in bfloat16 and int8 too.
    func testReducedPrecisions() throws {
        for precision in [InferencePrecision.bf16, .int8] {
            for attention in Self.attentions {
                try checkEncoderDecoder(TestModels.config(.encoderDecoder, attention: attention), precision: precision)
                try checkDecoderOnly(TestModels.config(.decoderOnly, attention: attention, positional: .rope, normFirst: true),
                                     precision: precision)
            }
            var marian = TestModels.config(.encoderDecoder)
            TestModels.makeMarianLike(&marian)
            try checkEncoderDecoder(marian, precision: precision)
            var tied = TestModels.config(.decoderOnly, normFirst: true)
            tied.tieOutput = true; tied.outputBias = true
            try checkDecoderOnly(tied, precision: precision)
        }
    }

    func testEncoderDecoderPreLN() throws {
        try checkEncoderDecoder(TestModels.config(.encoderDecoder, attention: .gqa, positional: .rope, normFirst: true))
    }

    func testDecoderOnlyEveryAttentionAndPosition() throws {
        for attention in Self.attentions {
            for positional in PositionalEncodingKind.allCases {
                try checkDecoderOnly(TestModels.config(.decoderOnly, attention: attention, positional: positional, normFirst: true))
            }
        }
    }

    func testCacheStoresOnlyKeyValueHeadsOrLatent() throws {
        for (attention, width) in [(AttentionKind.mha, 4), (.gqa, 2), (.mqa, 1), (.mla, 1)] {
            let model = try DecoderOnlyModel(config: TestModels.config(.decoderOnly, attention: attention), seed: 1)
            let cache = model.startDecoding(rows: 3, capacity: 8).selfAttention[0]
            XCTAssertEqual(cache.heads, width, "\(attention)")
            XCTAssertEqual(cache.keyWidth, attention == .mla ? 12 + 4 : 8)
            XCTAssertEqual(cache.valuesInKeys, attention == .mla)
        }
    }
}
