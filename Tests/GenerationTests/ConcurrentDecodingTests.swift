// One loaded model decoded from several threads at once, as a server's requests decode it: the
// results equal those of decoding the same inputs one after another on an identical model. The
// concurrent decoding is the model's first, so the threads race to pack its weights (float32,
// bfloat16 and int8), and the sinusoidal table grows under them. Run it under ThreadSanitizer too:
//   swift test --sanitize=thread --filter ConcurrentDecodingTests
import Foundation
import XCTest
import Generation
import Models

final class ConcurrentDecodingTests: XCTestCase {
    /// Runs `body(i)` for i in 0..<count on `count` threads released together; returns when all are done.
    private func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for i in 0..<count {
            done.enter()
            let thread = Thread {
                start.wait()
                body(i)
                done.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        for _ in 0..<count { start.signal() }
        done.wait()
    }

    /// Per thread results, written by each thread into its own slot.
    private final class Slots<T>: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [T?]
        init(_ count: Int) { values = Array(repeating: nil, count: count) }
        subscript(i: Int) -> T? {
            get { lock.lock(); defer { lock.unlock() }; return values[i] }
            set { lock.lock(); values[i] = newValue; lock.unlock() }
        }
    }

    func testTranslatingConcurrentlyEqualsSequentially() throws {
        let threads = 4
        for precision in InferencePrecision.allCases {
            let c = TestModels.config(.encoderDecoder)
            let reference = try TestModels.encoderDecoder(c)
            let shared = try TestModels.encoderDecoder(c)
            reference.setInferencePrecision(precision)
            shared.setInferencePrecision(precision)
            // Each thread its own sentences, beam and batch; thread t's sources differ from the others'.
            let work = (0..<threads).map { t in
                (sources: TestModels.sources([3 + t, 9, 5 + 2 * t], vocab: c.srcVocab, seed: UInt64(20 + t)), beam: t % 2 == 0 ? 1 : 3)
            }
            func options(_ beam: Int) -> TranslationOptions {
                var o = TranslationOptions()
                o.beamSize = beam
                o.nBest = beam
                o.maxLengthB = 12
                return o
            }
            let expected = work.map { Translator(model: reference, options: options($0.beam)).translate($0.sources) }
            let results = Slots<[[Hypothesis]]>(threads)
            onThreads(threads) { t in
                results[t] = Translator(model: shared, options: options(work[t].beam)).translate(work[t].sources)
            }
            for t in 0..<threads {
                XCTAssertEqual(results[t], expected[t], "\(precision): thread \(t)'s translations differ from sequential decoding")
            }
        }
    }

    func testGeneratingConcurrentlyEqualsSequentially() throws {
        let threads = 4
        let c = TestModels.config(.decoderOnly)
        let reference = try DecoderOnlyModel(config: c, seed: 5)
        let shared = try DecoderOnlyModel(config: c, seed: 5)
        reference.train(false)
        shared.train(false)
        func generate(_ model: DecoderOnlyModel, _ t: Int) -> [Int32] {
            var sampler = Sampler(temperature: 0.9, topK: 10, seed: UInt64(t))
            return LanguageModelGeneration.run(model: model, prompt: [1, Int32(3 + t)], maxNewTokens: 30, sampler: &sampler, eos: nil)
        }
        let expected = (0..<threads).map { generate(reference, $0) }
        let results = Slots<[Int32]>(threads)
        onThreads(threads) { t in results[t] = generate(shared, t) }
        for t in 0..<threads { XCTAssertEqual(results[t], expected[t], "thread \(t)'s generation differs from sequential decoding") }
    }

    /// The table grows on demand: threads asking for ever later positions all get the right rows.
    func testSinusoidalTableGrowsSafely() {
        let encoding = SinusoidalPositionalEncoding(dimension: 8, initialLength: 2)
        let reference = SinusoidalPositionalEncoding(dimension: 8, initialLength: 256)
        let threads = 4
        let mismatches = Slots<Int>(threads)
        onThreads(threads) { t in
            var bad = 0
            for offset in stride(from: t, to: 200, by: 7) {
                if encoding.encodings(offset: offset, length: 3).scalars != reference.encodings(offset: offset, length: 3).scalars { bad += 1 }
            }
            mismatches[t] = bad
        }
        for t in 0..<threads { XCTAssertEqual(mismatches[t], 0, "thread \(t) read wrong encodings") }
    }
}
