// Greedy and beam search: beam 1 equals greedy, batches equal sentences alone (in float32, bfloat16
// and int8, on one thread or two), length caps and <eos>, n-best order and finished hypotheses.
import Foundation
import XCTest
import Generation
import Models

final class SearchTests: XCTestCase {
    /// A small random translation model; `eosBias` shifts the <eos> logit to make it likelier.
    /// `marian`: Marian's kind (output tied to the shared embedding, a bias beside it, SiLU, halves
    /// sinusoids, scaled embeddings), whose decoding steps go through the packed tied output layer.
    func translator(eosBias: Float = 0, attention: AttentionKind = .mha, positional: PositionalEncodingKind = .sinusoidal,
                    marian: Bool = false, precision: InferencePrecision = .f32) throws -> Translator {
        var c = TestModels.config(.encoderDecoder, attention: attention, positional: positional)
        c.srcVocab = 24; c.tgtVocab = 24
        if marian { TestModels.makeMarianLike(&c) }
        let model = try TestModels.encoderDecoder(c, seed: 9)
        if marian { TestModels.fill(model.outputBias); model.outputBias?.data[c.eosId] += eosBias } else { model.generator?.bias?.data[c.eosId] += eosBias }
        model.setInferencePrecision(precision, releasingFloatWeights: true)
        return Translator(model: model)
    }

    let lengths = [7, 2, 5, 9, 1, 4, 6, 3]

    func testBeamOneEqualsGreedy() throws {
        for (eosBias, marian): (Float, Bool) in [(0, false), (2, false), (4, false), (0, true), (4, true)] {
            let t = try translator(eosBias: eosBias, marian: marian)
            t.options.maxLengthA = 1; t.options.maxLengthB = 5
            let sources = TestModels.sources(lengths, vocab: 24)
            t.options.beamSize = 1
            // Each sentence alone, so both searches see the same encoder output bit for bit.
            let greedy = sources.map { t.translateBatch([$0]) }.map { $0[0] }
            let beam = sources.map { src in
                withNoGrad {
                    let (memory, padding) = t.model.encode(Tensor(ints: src, shape: [1, src.count]))
                    let state = t.model.startDecoding(memory: memory, sourcePadding: padding)
                    let stopping = StoppingCriteria(eos: 2, maxLengths: [t.maxLength(sourceLength: src.count)])
                    return BeamSearch(beamSize: 1, lengthPenalty: 0.6).run(model: t.model, state: state, bos: 1, stopping: stopping)[0][0]
                }
            }
            for (g, b) in zip(greedy, beam) {
                XCTAssertEqual(g[0].tokens, b.tokens)
                XCTAssertEqual(g[0].logProbability, b.logProbability)
            }
            if eosBias == 4 { XCTAssertTrue(greedy.contains { $0[0].tokens.last == 2 }, "some sentence should stop at <eos>") }
        }
    }

    /// Greedy log-probabilities are the sums of log softmax of the uncached model, computed in Double.
    /// <eos>, blocked before the minimum length, still counts in the normaliser (as in transformers,
    /// whose processors act after log-softmax).
    func testGreedyLogProbabilities() throws {
        let t = try translator(eosBias: 2)
        t.options.beamSize = 1
        t.options.minLength = 2
        let src = TestModels.sources([6], vocab: 24)[0]
        let h = t.translate([src])[0][0]
        withNoGrad {
            let (memory, padding) = t.model.encode(Tensor(ints: src, shape: [1, src.count]))
            var prefix: [Int32] = [1]
            var total = 0.0
            for (i, token) in h.tokens.enumerated() {
                let logits = t.model.project(t.model.decode(Tensor(ints: prefix, shape: [1, prefix.count]), memory: memory, sourcePadding: padding))
                var row = logits.slice(axis: 1, i..<(i + 1)).scalars.map(Double.init)
                if i < 2 { XCTAssertNotEqual(token, 2) }
                let m = row.max()!
                total += row[Int(token)] - (m + log(row.reduce(0) { $0 + exp($1 - m) }))
                prefix.append(token)
            }
            XCTAssertEqual(Double(h.logProbability), total, accuracy: 1e-4)
        }
    }

    func testBatchedEqualsAlone() throws {
        for precision in InferencePrecision.allCases {
            try checkBatchedEqualsAlone(precision)
        }
    }

    func checkBatchedEqualsAlone(_ precision: InferencePrecision) throws {
        for (attention, positional, marian) in [(AttentionKind.mha, PositionalEncodingKind.sinusoidal, false), (.gqa, .rope, false),
                                                (.mla, .alibi, false), (.mha, .sinusoidal, true)] {
            let t = try translator(eosBias: 0, attention: attention, positional: positional, marian: marian, precision: precision)
            t.options.maxLengthB = 2
            let sources = TestModels.sources(lengths, vocab: 24, seed: 4)
            for beam in [1, 3] {
                t.options.beamSize = beam
                t.options.nBest = beam
                t.options.batchSize = 8
                let batched = t.translate(sources)
                let alone = sources.map { t.translateBatch([$0])[0] }
                XCTAssertEqual(batched.map { $0.map(\.tokens) }, alone.map { $0.map(\.tokens) }, "\(attention) \(precision) beam \(beam)")
                for (x, y) in zip(batched.joined(), alone.joined()) { XCTAssertEqual(x.score, y.score, accuracy: 1e-4) }
                XCTAssertTrue(Set(batched.map { $0[0].tokens.count }).count > 1, "sentences should finish at different steps")
            }
        }
    }

    /// Every precision gives bit-identical hypotheses and scores on one thread and on two.
    func testThreadCountChangesNothing() throws {
        let saved = ThreadPool.shared.threadCount
        defer { ThreadPool.shared.threadCount = saved }
        for precision in InferencePrecision.allCases {
            let t = try translator(marian: true, precision: precision)
            t.options.maxLengthB = 4
            t.options.beamSize = 3
            let sources = TestModels.sources(lengths, vocab: 24, seed: 5)
            ThreadPool.shared.threadCount = 1
            let one = t.translate(sources)
            ThreadPool.shared.threadCount = 2
            let two = t.translate(sources)
            XCTAssertEqual(one.map { $0.map(\.tokens) }, two.map { $0.map(\.tokens) }, "\(precision)")
            XCTAssertEqual(one.joined().map(\.score.bitPattern), two.joined().map(\.score.bitPattern), "\(precision)")
        }
    }

    func testLengthCapAndMinimumLength() throws {
        let t = try translator()
        let sources = TestModels.sources(lengths, vocab: 24)
        t.options.maxLengthA = 0.5; t.options.maxLengthB = 2
        for beam in [1, 3] {
            t.options.beamSize = beam
            for (src, out) in zip(sources, t.translate(sources)) {
                let cap = Int(0.5 * Double(src.count)) + 2
                XCTAssertEqual(t.maxLength(sourceLength: src.count), cap)
                XCTAssertTrue(out[0].tokens.count == cap || (out[0].tokens.last == 2 && out[0].tokens.count <= cap))
            }
        }
        // However long the source, no output runs past the model's max_len.
        t.options.maxLengthA = 10; t.options.maxLengthB = 1_000
        XCTAssertEqual(t.maxLength(sourceLength: 5_000), t.model.config.maxLen)
        // With <eos> made near-certain it ends every output, but only after min-length tokens.
        let eager = try translator(eosBias: 50)
        eager.options.beamSize = 1
        XCTAssertEqual(eager.translate(sources).map(\.[0].tokens), sources.map { _ in [2] })
        for beam in [1, 4] {
            eager.options.beamSize = beam
            eager.options.minLength = 3
            for out in eager.translate(sources) {
                XCTAssertEqual(out[0].tokens.count, 4)
                XCTAssertEqual(out[0].tokens.last, 2)
                XCTAssertFalse(out[0].tokens.dropLast().contains(2))
            }
        }
        // Exactly N tokens, <eos> never: what `bench decode` asks for.
        eager.options.maxLengthA = 0; eager.options.maxLengthB = 6; eager.options.minLength = 6
        for beam in [1, 4] {
            eager.options.beamSize = beam
            XCTAssertTrue(eager.translate(sources).allSatisfy { $0[0].tokens.count == 6 && !$0[0].tokens.contains(2) })
        }
    }

    /// Vocabulary: 0 pad, 1 bos, 2 eos, 3 "a", 4 "b". After "a", <eos> is likely; after "b", "b".
    func scripted() -> ScriptedDecoder {
        ScriptedDecoder(vocabulary: 5) { prefix in
            let p: [Float]
            switch prefix.last {
            case nil: p = [0, 0, 0.2, 0.5, 0.3]
            case 3: p = [0, 0, 0.9, 0.06, 0.04]
            default: p = [0, 0, 0.3, 0.1, 0.6]
            }
            return p.map { $0 == 0 ? -.infinity : log($0) }
        }
    }

    func testBeamKeepsFinishedHypothesesAndRanksNBest() {
        let model = scripted()
        let stopping = StoppingCriteria(eos: 2, maxLengths: [6])
        // k = 2, α = 0. Step 1: a (.5), b (.3); <eos> (.2) ranks third and is dropped.
        // Step 2: "a <eos>" (.45) finishes; live: "b b" (.18), "a a" (.03).
        // Step 3: "b <eos>"... "b b <eos>" (.054) finishes second: the sentence is done.
        let search = BeamSearch(beamSize: 2, lengthPenalty: 0, nBest: 2)
        let out = search.run(model: model, state: model.start(rows: 1), bos: 1, stopping: stopping)[0]
        XCTAssertEqual(out.map(\.tokens), [[3, 2], [4, 4, 2]])
        XCTAssertEqual(out[0].logProbability, log(0.5) + log(0.9), accuracy: 1e-6)
        XCTAssertEqual(out[1].logProbability, log(0.3) + log(0.6) + log(0.3), accuracy: 1e-6)
        XCTAssertGreaterThan(out[0].score, out[1].score)
    }

    func testLengthPenaltyReranksFinishedHypotheses() {
        let model = scripted()
        let search = BeamSearch(beamSize: 3, lengthPenalty: 2, nBest: 3)
        let out = search.run(model: model, state: model.start(rows: 1), bos: 1, stopping: StoppingCriteria(eos: 2, maxLengths: [4]))[0]
        XCTAssertEqual(out.count, 3)
        for h in out {
            XCTAssertEqual(h.score, h.logProbability / search.penalty(length: h.tokens.count), accuracy: 1e-6)
            XCTAssertTrue(h.tokens.last == 2 || h.tokens.count == 4)
        }
        XCTAssertEqual(out.map(\.score), out.map(\.score).sorted(by: >))
        XCTAssertEqual(search.penalty(length: 1), 1)
        XCTAssertEqual(search.penalty(length: 7), 4, accuracy: 1e-6)   // ((5 + 7)/6)^2
    }

    func testForcedTokenAtTheLengthCap() {
        // transformers' forced_eos_token_id: the last token a cap allows is <eos>, scored with the
        // model's own log-probability (or 0 once renormalised over the one token left).
        let model = scripted()
        let forced = StoppingCriteria(eos: 2, maxLengths: [1], forcedAtCap: 2)
        XCTAssertEqual(GreedySearch.run(model: model, state: model.start(rows: 1), bos: 1,
                                        stopping: StoppingCriteria(eos: 2, maxLengths: [1]))[0].tokens, [3])
        let greedy = GreedySearch.run(model: model, state: model.start(rows: 1), bos: 1, stopping: forced)[0]
        XCTAssertEqual(greedy.tokens, [2])
        XCTAssertEqual(greedy.logProbability, log(0.2), accuracy: 1e-6)
        // Beam 2, cap 2: "b b" would survive the cap unforced; forced, "b <eos>" takes its place.
        let search = BeamSearch(beamSize: 2, lengthPenalty: 0, nBest: 2)
        let plain = search.run(model: model, state: model.start(rows: 1), bos: 1, stopping: StoppingCriteria(eos: 2, maxLengths: [2]))[0]
        XCTAssertEqual(plain.map(\.tokens), [[3, 2], [4, 4]])
        let out = search.run(model: model, state: model.start(rows: 1), bos: 1, stopping: StoppingCriteria(eos: 2, maxLengths: [2], forcedAtCap: 2))[0]
        XCTAssertEqual(out.map(\.tokens), [[3, 2], [4, 2]])
        XCTAssertEqual(out[1].logProbability, log(0.3) + log(0.3), accuracy: 1e-6)
        let renormalized = BeamSearch(beamSize: 2, lengthPenalty: 0, nBest: 2, renormalize: true)
            .run(model: model, state: model.start(rows: 1), bos: 1, stopping: StoppingCriteria(eos: 2, maxLengths: [2], forcedAtCap: 2))[0]
        XCTAssertEqual(renormalized[1].logProbability, log(0.3), accuracy: 1e-6)
    }

    func testBeamSearchOverManySentencesInOneBatch() {
        let model = scripted()
        let stopping = StoppingCriteria(eos: 2, maxLengths: [6, 1, 0, 3])
        let out = BeamSearch(beamSize: 2, lengthPenalty: 0, nBest: 2).run(model: model, state: model.start(rows: 4), bos: 1, stopping: stopping)
        XCTAssertEqual(out[0].map(\.tokens), [[3, 2], [4, 4, 2]])
        XCTAssertEqual(out[1].map(\.tokens), [[3], [4]])        // capped at one token: live beams finish
        XCTAssertEqual(out[2].map(\.tokens), [])
        XCTAssertEqual(out[3].map(\.tokens), [[3, 2], [4, 4, 2]])
    }
}
