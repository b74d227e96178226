// Modules: parameter names, positional encodings, feed-forward variants, Add & Norm, and
// finite-difference gradients through whole layers.
import Foundation
import XCTest
import Layers

final class LayerTests: XCTestCase {
    var rng = RandomGenerator(seed: 31)
    lazy var source = RandomSource(seed: 2)

    func testParameterNamesArePropertyPaths() {
        var g = RandomGenerator(seed: 1)
        let ffn = PositionwiseFeedForward(dModel: 4, hidden: 6, activation: .swiglu, dropout: Dropout(0, source: source), generator: &g)
        XCTAssertEqual(ffn.namedParameters().map(\.name),
                       ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "gate.weight", "gate.bias"])
        let mha = MultiHeadAttention(dModel: 4, heads: 2, bias: false, dropout: Dropout(0, source: source), generator: &g)
        XCTAssertEqual(mha.namedParameters().map(\.name), ["query.weight", "key.weight", "value.weight", "output.weight"])
        let enc = Encoder(layers: [EncoderLayer(selfAttention: mha, feedForward: ffn,
                                                selfAttentionAddNorm: AddAndNorm(norm: LayerNorm(4), dropout: Dropout(0, source: source), normFirst: false),
                                                feedForwardAddNorm: AddAndNorm(norm: RMSNorm(4), dropout: Dropout(0, source: source), normFirst: false))],
                          norm: nil)
        let names = enc.namedParameters().map(\.name)
        XCTAssertTrue(names.contains("layers.0.selfAttention.query.weight"))
        XCTAssertTrue(names.contains("layers.0.selfAttentionAddNorm.norm.bias"))
        XCTAssertTrue(names.contains("layers.0.feedForwardAddNorm.norm.weight"))
        XCTAssertFalse(names.contains("layers.0.feedForwardAddNorm.norm.bias"), "RMSNorm has no bias")
        enc.train(false)
        XCTAssertTrue(enc.modules().allSatisfy { !$0.training })
    }

    func testSinusoidalEncodingFormulaAndLongLengths() {
        let pe = SinusoidalPositionalEncoding(dimension: 6, initialLength: 4)
        let table = pe.encodings(offset: 0, length: 3)
        for pos in 0..<3 {
            for i in 0..<3 {
                let angle = Double(pos) / pow(10000, Double(2 * i) / 6)
                XCTAssertEqual(table.data[pos * 6 + 2 * i], Float(sin(angle)), accuracy: 1e-6)
                XCTAssertEqual(table.data[pos * 6 + 2 * i + 1], Float(cos(angle)), accuracy: 1e-6)
            }
        }
        let far = pe.encodings(offset: 5000, length: 2)   // far beyond the initial table
        XCTAssertEqual(far.data[0], Float(sin(5000.0)), accuracy: 1e-5)
    }

    func testDropoutOnlyInTraining() {
        let d = Dropout(0.5, source: source)
        let x = Tensor(repeating: 1, shape: [1000])
        XCTAssertTrue(d(x).scalars.contains(0))
        d.train(false)
        XCTAssertEqual(d(x).scalars, x.scalars)
    }

    func testPostLNAndPreLN() {
        let x = Tensor.uniform([2, 3, 4], low: -1, high: 1, generator: &rng)
        let post = AddAndNorm(norm: LayerNorm(4), dropout: Dropout(0, source: source), normFirst: false)
        let pre = AddAndNorm(norm: LayerNorm(4), dropout: Dropout(0, source: source), normFirst: true)
        let double = { (t: Tensor) in t * 2 }
        let expectedPost = (x + x * 2).layerNorm(weight: nil, bias: nil, eps: 1e-5)
        let expectedPre = x + x.layerNorm(weight: nil, bias: nil, eps: 1e-5) * 2
        for (a, b) in zip(post(x, double).scalars, expectedPost.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        for (a, b) in zip(pre(x, double).scalars, expectedPre.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testGradientsThroughAttentionVariantsAndFeedForward() {
        var g = RandomGenerator(seed: 8)
        let drop = Dropout(0, source: source)
        let x = Tensor.uniform([2, 3, 8], low: -1, high: 1, generator: &rng)
        let mask = AttentionMask(keyPadding: Tensor([0, 0, 1, 0, 0, 0], shape: [2, 3]), causal: true)
        let layers: [(String, (Tensor) -> Tensor, Module)] = {
            let gqaRope = MultiHeadAttention(dModel: 8, heads: 4, keyValueHeads: 2, rotary: RotaryPositionalEncoding(), dropout: drop, generator: &g)
            let mqaAlibi = MultiHeadAttention(dModel: 8, heads: 2, keyValueHeads: 1, alibi: true, dropout: drop, generator: &g)
            let mla = MultiHeadLatentAttention(dModel: 8, heads: 2, latentDimension: 3, ropeDimension: 2, queryLatentDimension: nil, dropout: drop, generator: &g)
            let swiglu = PositionwiseFeedForward(dModel: 8, hidden: 5, activation: .swiglu, dropout: drop, generator: &g)
            let gelu = PositionwiseFeedForward(dModel: 8, hidden: 5, activation: .gelu, dropout: drop, generator: &g)
            let geluTanh = PositionwiseFeedForward(dModel: 8, hidden: 5, activation: .geluTanh, dropout: drop, generator: &g)
            let silu = PositionwiseFeedForward(dModel: 8, hidden: 5, activation: .silu, dropout: drop, generator: &g)
            return [("gqa+rope", { gqaRope($0, mask: mask) }, gqaRope), ("mqa+alibi", { mqaAlibi($0, mask: mask) }, mqaAlibi),
                    ("mla", { mla($0, mask: mask) }, mla), ("swiglu", { swiglu($0) }, swiglu), ("gelu", { gelu($0) }, gelu),
                    ("gelu_tanh", { geluTanh($0) }, geluTanh), ("silu", { silu($0) }, silu)]
        }()
        for (name, f, module) in layers {
            let params = module.parameters()
            let result = GradientCheck.check([x.copy()] + params, h: 5e-3) { inputs in f(inputs[0]) }
            XCTAssertTrue(result.passed, "\(name): \(result)")
        }
    }
}

final class BufferTests: XCTestCase {
    func testPrecomputedTablesAreNotParameters() {
        XCTAssertEqual(SinusoidalPositionalEncoding(dimension: 8).parameterCount, 0)
        XCTAssertEqual(RotaryPositionalEncoding().parameterCount, 0)
    }

    /// Marian's layout holds the paper's values with every sine first: column i < ⌈d/2⌉ is
    /// sin(pos/10000^(2i/d)), column ⌈d/2⌉ + i the cosine of the same angle (odd d too).
    func testSinusoidLayoutInHalvesIsThePaperTablePermuted() {
        for d in [8, 7] {
            let paper = SinusoidalPositionalEncoding(dimension: d, initialLength: 4).encodings(length: 9)
            let halves = SinusoidalPositionalEncoding(dimension: d, initialLength: 4, layout: .halves).encodings(offset: 0, length: 9)
            let sines = (d + 1) / 2
            for pos in 0..<9 {
                for i in 0..<sines { XCTAssertEqual(halves.data[pos * d + i], paper.data[pos * d + 2 * i]) }
                for i in 0..<(d / 2) { XCTAssertEqual(halves.data[pos * d + sines + i], paper.data[pos * d + 2 * i + 1]) }
            }
            XCTAssertEqual(halves.data[3 * d + 1], Float(sin(3 / pow(10000, 2 / Double(d)))), accuracy: 1e-6)
        }
    }

    func testTokenRowsWithoutPadKeepEverythingAndCanKeepTheStartToken() {
        let ids = Tensor(ints: [9, 4, 5, 9, 9, 9, 7, 9], shape: [2, 4])
        XCTAssertNil(TokenRows(ids, padId: nil))
        XCTAssertEqual(TokenRows(ids, padId: 9)?.ids.intScalars, [1, 2, 6])
        XCTAssertEqual(TokenRows(ids, padId: 9, keepingFirst: true)?.ids.intScalars, [0, 1, 2, 4, 6])
    }
}
