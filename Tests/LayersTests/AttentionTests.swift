// Attention: masks, fully masked rows, GQA/MQA sharing, RoPE's relative positions, ALiBi.
import Foundation
import XCTest
import Layers

final class AttentionTests: XCTestCase {
    var rng = RandomGenerator(seed: 21)
    lazy var source = RandomSource(seed: 1)

    func rand(_ shape: [Int]) -> Tensor { Tensor.uniform(shape, low: -1, high: 1, generator: &rng) }

    func testFullyMaskedQueryGivesZerosNotNaN() {
        let sdpa = ScaledDotProductAttention(dropout: Dropout(0, source: source))
        let q = rand([1, 2, 3, 4]), k = rand([1, 2, 3, 4]), v = rand([1, 2, 3, 4])
        let mask = Tensor(repeating: 1, shape: [1, 1, 1, 3])
        let out = sdpa(query: q, key: k, value: v, mask: mask)
        XCTAssertTrue(out.scalars.allSatisfy { $0 == 0 })
    }

    func testAttentionMatchesDefinition() {
        let sdpa = ScaledDotProductAttention(dropout: Dropout(0, source: source))
        let q = rand([1, 1, 2, 4]), k = rand([1, 1, 3, 4]), v = rand([1, 1, 3, 2])
        let padding = Tensor([0, 0, 1], shape: [1, 3])
        let out = sdpa(query: q, key: k, value: v, mask: AttentionMask(keyPadding: padding).tensor(queries: 2, keys: 3))
        for i in 0..<2 {
            var w = (0..<2).map { j in (0..<4).map { q.data[i * 4 + $0] * k.data[j * 4 + $0] }.reduce(0, +) / 2 }
            let m = w.max()!
            w = w.map { Foundation.exp($0 - m) }
            let s = w.reduce(0, +)
            for c in 0..<2 {
                let expected = (0..<2).map { w[$0] / s * v.data[$0 * 2 + c] }.reduce(0, +)
                XCTAssertEqual(out.data[i * 2 + c], expected, accuracy: 1e-5)
            }
        }
    }

    func testCausalMaskHidesTheFuture() {
        var g = RandomGenerator(seed: 3)
        let mha = MultiHeadAttention(dModel: 8, heads: 2, dropout: Dropout(0, source: source), generator: &g)
        let x = rand([1, 5, 8])
        let y1 = mha(x, mask: AttentionMask(causal: true))
        let x2 = x.copy()
        for j in 0..<8 { x2.data[4 * 8 + j] += 1 }   // change only the last position
        let y2 = mha(x2, mask: AttentionMask(causal: true))
        XCTAssertEqual(Array(y1.scalars[0..<32]), Array(y2.scalars[0..<32]))
        XCTAssertNotEqual(Array(y1.scalars[32..<40]), Array(y2.scalars[32..<40]))
    }

    func testGroupedQueryAttentionEqualsMHAWithRepeatedKeyValueHeads() {
        var g = RandomGenerator(seed: 4)
        let dropout = Dropout(0, source: source)
        let gqa = MultiHeadAttention(dModel: 8, heads: 4, keyValueHeads: 2, dropout: dropout, generator: &g)
        let mha = MultiHeadAttention(dModel: 8, heads: 4, dropout: dropout, generator: &g)
        // MHA's key/value heads (0,1,2,3) copy GQA's (0,0,1,1): query heads 0,1 share kv head 0.
        for (dst, src) in [(mha.key, gqa.key), (mha.value, gqa.value)] {
            for h in 0..<4 {
                for r in 0..<2 {
                    let from = (h / 2) * 2 + r, to = h * 2 + r
                    (dst.weight.data + to * 8).update(from: src.weight.data + from * 8, count: 8)
                    dst.bias!.data[to] = src.bias!.data[from]
                }
            }
        }
        for (dst, src) in [(mha.query, gqa.query), (mha.output, gqa.output)] {
            dst.weight.data.update(from: src.weight.data, count: src.weight.count)
            dst.bias!.data.update(from: src.bias!.data, count: src.bias!.count)
        }
        let x = rand([2, 3, 8])
        let mask = AttentionMask(keyPadding: Tensor([0, 0, 1, 0, 0, 0], shape: [2, 3]), causal: true)
        let a = gqa(x, mask: mask).scalars, b = mha(x, mask: mask).scalars
        for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: 1e-5) }
        XCTAssertEqual(gqa.cachedFloatsPerToken, 2 * 2 * 2)
        XCTAssertEqual(mha.cachedFloatsPerToken, 2 * 4 * 2)
    }

    func testRotaryScoresDependOnlyOnRelativePosition() {
        let q = rand([1, 1, 1, 8]), k = rand([1, 1, 1, 8])
        func score(_ pq: Int, _ pk: Int) -> Float {
            let a = q.rotaryEmbedding(offset: pq, base: 10000), b = k.rotaryEmbedding(offset: pk, base: 10000)
            return (0..<8).map { a.data[$0] * b.data[$0] }.reduce(0, +)
        }
        XCTAssertEqual(score(5, 2), score(103, 100), accuracy: 1e-4)
        XCTAssertEqual(score(7000, 6990), score(10, 0), accuracy: 1e-3, "works far beyond training lengths")
        // A rotation keeps the norm.
        let r = q.rotaryEmbedding(offset: 12345, base: 10000)
        XCTAssertEqual(r.scalars.map { $0 * $0 }.reduce(0, +), q.scalars.map { $0 * $0 }.reduce(0, +), accuracy: 1e-4)
    }

    func testALiBiSlopesAndBias() {
        XCTAssertEqual(ALiBi.slopes(heads: 8), (1...8).map { Float(pow(2, -Double($0))) })
        XCTAssertEqual(ALiBi.slopes(heads: 6).count, 6)
        let b = ALiBi.bias(heads: 2, queryLength: 2, keyLength: 3, queryOffset: 1)
        // Head 0 slope 1/16; query position 1 (first row), keys 0, 1, 2.
        XCTAssertEqual(Array(b.scalars[0..<3]), [-0.0625, 0, -0.0625])
    }

    func testMultiHeadLatentAttentionIsCausalAndCachesTheLatent() {
        var g = RandomGenerator(seed: 5)
        let mla = MultiHeadLatentAttention(dModel: 16, heads: 4, latentDimension: 6, ropeDimension: 4,
                                           queryLatentDimension: 8, dropout: Dropout(0, source: source), generator: &g)
        XCTAssertEqual(mla.cachedFloatsPerToken, 10)
        let x = rand([1, 4, 16])
        let y1 = mla(x, mask: AttentionMask(causal: true))
        let x2 = x.copy()
        x2.data[3 * 16] += 1
        let y2 = mla(x2, mask: AttentionMask(causal: true))
        XCTAssertEqual(Array(y1.scalars[0..<48]), Array(y2.scalars[0..<48]))
    }
}
