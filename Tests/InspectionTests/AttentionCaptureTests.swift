// Attention-weight capture: every family, every attention kind and positional encoding records
// weights that are distributions over the keys a query may see; cached decoding records the same
// weights as one teacher-forced pass over the decoded tokens; capture changes no output.
import XCTest
import Generation
import Models

final class AttentionCaptureTests: XCTestCase {
    static func config(_ family: ModelFamily, attention: AttentionKind = .mha, positional: PositionalEncodingKind = .sinusoidal) -> TransformerConfig {
        var c = TransformerConfig()
        c.family = family
        c.dModel = 32; c.heads = 4; c.ff = 48; c.encoderLayers = 2; c.decoderLayers = 2
        c.srcVocab = 40; c.tgtVocab = 40; c.maxLen = 64
        c.attention = attention
        if attention == .gqa { c.kvHeads = 2 }
        c.mlaLatent = 12; c.mlaRopeDim = 4
        c.positional = positional
        return c
    }

    static func ids(_ n: Int, seed: UInt64) -> [Int32] {
        var g = RandomGenerator(seed: seed)
        return (0..<n).map { _ in Int32(3 + g.nextInt(below: 37)) }
    }

    func assertClose(_ a: Tensor?, _ b: Tensor?, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let a, let b else { return XCTFail("\(what): missing weights", file: file, line: line) }
        XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
        guard a.shape == b.shape else { return }
        let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-5, what, file: file, line: line)
    }

    /// Every row of [H, T, S] sums to 1 over the keys it sees.
    func assertDistributions(_ map: Tensor?, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let map else { return XCTFail("\(what): missing weights", file: file, line: line) }
        let s = map.shape[2]
        for row in 0..<(map.shape[0] * map.shape[1]) {
            let sum = (0..<s).reduce(Float(0)) { $0 + map.data[row * s + $1] }
            XCTAssertEqual(sum, 1, accuracy: 1e-4, "\(what) row \(row)", file: file, line: line)
        }
    }

    func testCachedTranslationRecordsWhatTeacherForcingRecords() throws {
        let cases: [(AttentionKind, PositionalEncodingKind)] = [(.mha, .sinusoidal), (.gqa, .rope), (.mqa, .alibi), (.mla, .learned)]
        for (attention, positional) in cases {
            let what = "\(attention) \(positional)"
            let model = try EncoderDecoderModel(config: Self.config(.encoderDecoder, attention: attention, positional: positional), seed: 5)
            var options = TranslationOptions()
            options.beamSize = 1
            options.maxLengthA = 0
            options.maxLengthB = 7
            let source = model.sourceSequence(Self.ids(6, seed: 9))
            let cached = AttentionRecorder()
            model.captureAttention(into: cached)
            let tokens = Translator(model: model, options: options).translateBatch([source])[0][0].tokens
            let inputs = [Int32(model.config.startId)] + tokens.dropLast()
            let full = AttentionRecorder()
            model.captureAttention(into: full)
            _ = withNoGrad { model(source: Tensor(ints: source, shape: [1, source.count]), targetIn: Tensor(ints: inputs, shape: [1, inputs.count])) }
            model.captureAttention(into: nil)
            for site in AttentionSite.allCases {
                XCTAssertEqual(cached.layers(site), [0, 1], "\(what) \(site)")
                for layer in 0..<2 {
                    let map = cached.map(site, layer: layer)
                    assertClose(map, full.map(site, layer: layer), "\(what) \(site) layer \(layer)")
                    assertDistributions(map, "\(what) \(site) layer \(layer)")
                }
            }
            XCTAssertEqual(cached.map(.cross, layer: 0)?.shape, [4, tokens.count, source.count], what)
            // Causal: nothing above the diagonal.
            let selfMap = try XCTUnwrap(cached.map(.decoder, layer: 1))
            let n = tokens.count
            for h in 0..<4 { for i in 0..<n { for j in (i + 1)..<max(n, i + 1) { XCTAssertEqual(selfMap.data[(h * n + i) * n + j], 0, what) } } }
        }
    }

    func testCachedGenerationRecordsWhatTheFullPassRecords() throws {
        for (attention, positional) in [(AttentionKind.mha, PositionalEncodingKind.rope), (.mla, .sinusoidal), (.gqa, .alibi)] {
            let model = try DecoderOnlyModel(config: Self.config(.decoderOnly, attention: attention, positional: positional), seed: 3)
            model.train(false)
            let ids = Self.ids(9, seed: 4)
            let cached = AttentionRecorder()
            model.captureAttention(into: cached)
            withNoGrad {
                let state = model.startDecoding(rows: 1, capacity: 16)
                _ = model.decodeStep(Tensor(ints: Array(ids.prefix(5)), shape: [1, 5]), state: state)   // a prompt at once,
                for id in ids.dropFirst(5) { _ = model.decodeStep(Tensor(ints: [id], shape: [1, 1]), state: state) }  // then one by one
            }
            let full = AttentionRecorder()
            model.captureAttention(into: full)
            _ = withNoGrad { model.hidden(Tensor(ints: ids, shape: [1, ids.count])) }
            for layer in 0..<2 {
                XCTAssertEqual(cached.chunks(.decoder, layer: layer).count, 5)
                assertClose(cached.map(.decoder, layer: layer), full.map(.decoder, layer: layer), "\(attention) \(positional) layer \(layer)")
            }
        }
    }

    func testPaddedKeysGetNoWeightAndCaptureChangesNothing() throws {
        let model = try EncoderOnlyModel(config: Self.config(.encoderOnly), seed: 2)
        model.train(false)
        let ids = Self.ids(10, seed: 1).enumerated().map { $0.offset >= 7 ? Int32(0) : $0.element }   // 3 pad positions
        let input = Tensor(ints: ids + ids, shape: [2, 10])
        let plain = withNoGrad { model(input) }
        let recorder = AttentionRecorder()
        model.captureAttention(into: recorder)
        let captured = withNoGrad { model(input) }
        XCTAssertEqual(plain.scalars, captured.scalars, "capture changed the output")
        XCTAssertNil(recorder.map(.encoder, layer: 0, row: 2), "there is no third row")
        for row in 0..<2 {
            let map = try XCTUnwrap(recorder.map(.encoder, layer: 1, row: row))
            assertDistributions(map, "row \(row)")
            for h in 0..<4 { for i in 0..<10 { for j in 7..<10 { XCTAssertEqual(map.data[(h * 10 + i) * 10 + j], 0) } } }
        }
        model.captureAttention(into: nil)
        recorder.reset()
        _ = withNoGrad { model(input) }
        XCTAssertEqual(recorder.layers(.encoder), [], "capture off records nothing")
    }

    func testCaptureDuringTrainingKeepsGradients() throws {
        let model = try DecoderOnlyModel(config: Self.config(.decoderOnly), seed: 8)
        model.train(false)
        let ids = Tensor(ints: Self.ids(8, seed: 2), shape: [1, 8])
        func gradients() -> [Float] {
            model.zeroGrad()
            let logits = model(ids)
            model.loss(logits: logits, targets: ids).backward()
            return model.parameters().flatMap { $0.grad?.scalars ?? [] }
        }
        let plain = gradients()
        let recorder = AttentionRecorder()
        model.captureAttention(into: recorder)
        XCTAssertEqual(gradients(), plain)
        XCTAssertEqual(recorder.layers(.decoder), [0, 1])
    }
}
