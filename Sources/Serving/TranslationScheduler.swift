// Dynamic batching for translation requests, as serving systems batch (Clipper, Triton's dynamic
// batcher): sentences from concurrent requests wait in one queue; a single decoding thread takes
// the oldest sentence and every other one that decodes with the same options, up to a token budget,
// waiting at most `maxWait` for more to arrive, and decodes them together. Each sentence leaves its
// batch when it finishes (see `Translator`), so every request gets exactly what it would alone.
// One thread decodes at a time because the thread pool already spreads each batch over the cores;
// it is also the only thread that turns attention capture on, so capture never sees another batch.
import Foundation
import Generation
import Inspection
import Models

/// Why a translation was not accepted.
public enum SchedulerError: Error, Equatable {
    /// The queue holds `maxQueuedSentences` already.
    case queueFull
    /// The scheduler is draining: it finishes what it holds and takes nothing new.
    case shuttingDown
    /// The request was cancelled (its client went away) before it was decoded.
    case cancelled
}

/// What one request asks to be decoded, and how.
public struct TranslationJob: Sendable {
    public var sources: [[Int32]]
    public var options: TranslationOptions
    /// Attention maps of each sentence's best hypothesis too (decoded alone, with capture on).
    public var attention: Bool

    public init(sources: [[Int32]], options: TranslationOptions, attention: Bool = false) {
        self.sources = sources
        self.options = options
        self.attention = attention
    }
}

/// One translated sentence: its n-best hypotheses, and its attention maps when asked.
public struct TranslatedSentence: Sendable {
    public var hypotheses: [Hypothesis]
    public var attention: AttentionMaps?
}

public final class TranslationScheduler: @unchecked Sendable {
    public let bundle: ModelBundle
    public let model: EncoderDecoderModel
    /// Source tokens decoded together at most (a single longer sentence still gets a batch of its own).
    public let maxBatchTokens: Int
    /// How long the oldest waiting sentence may wait for others to fill its batch.
    public let maxWait: Duration
    /// Sentences waiting at most; past that, new requests are refused (503).
    public let maxQueuedSentences: Int
    private let metrics: ServingMetrics?

    /// A request in the queue: its results fill in as its sentences are decoded.
    private final class Pending {
        let job: TranslationJob
        let arrived: ContinuousClock.Instant
        var results: [TranslatedSentence?]
        var remaining: Int
        /// Its continuation has been resumed (with results, or cancelled): nothing more is done for it.
        var done = false
        let continuation: CheckedContinuation<[TranslatedSentence], Error>

        init(job: TranslationJob, continuation: CheckedContinuation<[TranslatedSentence], Error>) {
            self.job = job
            arrived = .now
            results = Array(repeating: nil, count: job.sources.count)
            remaining = job.sources.count
            self.continuation = continuation
        }
    }

    /// A sentence waiting: its request and its index there.
    private struct Item {
        let request: Pending
        let index: Int
        var tokens: Int { request.job.sources[index].count }
    }

    private let condition = NSCondition()
    private var queue: [Item] = []
    private var draining = false
    private var stopped = false
    /// A batch is being decoded.
    private var decoding = false
    private var worker: Thread?

    public init(bundle: ModelBundle, maxBatchTokens: Int, maxWait: Duration, maxQueuedSentences: Int,
                metrics: ServingMetrics? = nil) throws {
        self.bundle = bundle
        model = try bundle.encoderDecoder(for: "translation")
        self.maxBatchTokens = max(1, maxBatchTokens)
        self.maxWait = maxWait
        self.maxQueuedSentences = max(1, maxQueuedSentences)
        self.metrics = metrics
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "translation-scheduler"
        thread.stackSize = 8 << 20
        worker = thread
        thread.start()
    }

    /// Sentences waiting to be decoded.
    public var queueLength: Int {
        condition.lock(); defer { condition.unlock() }
        return queue.count
    }

    /// Decodes `job` (batched with whatever else is waiting) and returns one result per source, in order.
    public func translate(_ job: TranslationJob) async throws -> [TranslatedSentence] {
        if job.sources.isEmpty { return [] }
        let box = CancellationBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                condition.lock()
                defer { condition.unlock() }
                if draining || stopped { continuation.resume(throwing: SchedulerError.shuttingDown); return }
                guard queue.count + job.sources.count <= maxQueuedSentences else {
                    continuation.resume(throwing: SchedulerError.queueFull)
                    return
                }
                let pending = Pending(job: job, continuation: continuation)
                box.pending = pending
                queue += job.sources.indices.map { Item(request: pending, index: $0) }
                metrics?.setQueueLength(queue.count)
                condition.broadcast()
            }
        } onCancel: {
            condition.lock()
            if let pending = box.pending as? Pending, !pending.done {
                // Sentences still queued are dropped; one being decoded finishes and is discarded.
                pending.done = true
                queue.removeAll { $0.request === pending }
                metrics?.setQueueLength(queue.count)
                pending.continuation.resume(throwing: SchedulerError.cancelled)
            }
            condition.unlock()
        }
    }

    /// Refuses new work from now on; returns once everything accepted has been decoded.
    public func drain() {
        condition.lock()
        draining = true
        condition.broadcast()
        while !queue.isEmpty || decoding { condition.wait() }
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    // MARK: The decoding thread

    private func run() {
        while let batch = nextBatch() {
            decode(batch)
            condition.lock()
            decoding = false
            condition.broadcast()  // `drain` waits for the last batch
            condition.unlock()
        }
    }

    /// The next batch: the oldest sentence and those after it that decode with the same options,
    /// within the token budget; it waits up to `maxWait` after the oldest arrived while the budget
    /// is not full. Nil once stopped.
    private func nextBatch() -> [Item]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            while queue.isEmpty {
                if stopped || draining { stopped = true; condition.broadcast(); return nil }
                condition.wait()
            }
            let first = queue[0]
            if first.request.job.attention {
                queue.removeFirst()
                metrics?.setQueueLength(queue.count)
                decoding = true
                return [first]
            }
            let options = first.request.job.options
            var chosen: [Int] = []
            var tokens = 0
            for (i, item) in queue.enumerated() where !item.request.job.attention && sameDecoding(item.request.job.options, options) {
                if !chosen.isEmpty && tokens + item.tokens > maxBatchTokens { break }
                chosen.append(i)
                tokens += item.tokens
            }
            let deadline = first.request.arrived + maxWait
            let full = tokens >= maxBatchTokens || chosen.count < queue.filter({ !$0.request.job.attention && sameDecoding($0.request.job.options, options) }).count
            if full || draining || ContinuousClock.now >= deadline {
                let picked = chosen.map { queue[$0] }
                let set = Set(chosen)
                queue = queue.enumerated().filter { !set.contains($0.offset) }.map(\.element)
                metrics?.setQueueLength(queue.count)
                decoding = true
                return picked
            }
            let wait = ContinuousClock.now.duration(to: deadline)
            let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) * 1e-18
            _ = condition.wait(until: Date(timeIntervalSinceNow: max(0, seconds)))
        }
    }

    private func sameDecoding(_ a: TranslationOptions, _ b: TranslationOptions) -> Bool {
        a.beamSize == b.beamSize && a.lengthPenalty == b.lengthPenalty && a.lengthNormalization == b.lengthNormalization
            && a.beamStopping == b.beamStopping && a.renormalize == b.renormalize && a.nBest == b.nBest
            && a.maxLengthA == b.maxLengthA && a.maxLengthB == b.maxLengthB && a.minLength == b.minLength
            && a.forcedAtCap == b.forcedAtCap
    }

    private func decode(_ batch: [Item]) {
        guard let first = batch.first else { return }
        let started = ContinuousClock.now
        var options = first.request.job.options
        options.batchSize = batch.count
        let translator = Translator(model: model, options: options)
        let sources = batch.map { $0.request.job.sources[$0.index] }
        var results: [TranslatedSentence]
        if first.request.job.attention {
            let hypotheses = translator.translateBatch(sources)[0]
            let maps = hypotheses.first.flatMap { try? AttentionMaps.capture(bundle: bundle, source: sources[0], output: $0.tokens) }
            results = [TranslatedSentence(hypotheses: hypotheses, attention: maps)]
        } else {
            results = translator.translateBatch(sources).map { TranslatedSentence(hypotheses: $0, attention: nil) }
        }
        let generated = results.reduce(0) { $0 + ($1.hypotheses.first?.tokens.count ?? 0) }
        metrics?.recordBatch(sentences: batch.count, sourceTokens: sources.reduce(0) { $0 + $1.count },
                             generatedTokens: generated, seconds: started.duration(to: .now).seconds)
        condition.lock()
        var finished: [Pending] = []
        for (item, result) in zip(batch, results) where !item.request.done {
            item.request.results[item.index] = result
            item.request.remaining -= 1
            if item.request.remaining == 0 {
                item.request.done = true
                finished.append(item.request)
            }
        }
        condition.unlock()
        for request in finished { request.continuation.resume(returning: request.results.compactMap { $0 }) }
    }
}

/// Lets the cancellation handler find the request it cancels, set once it is queued.
private final class CancellationBox: @unchecked Sendable {
    var pending: AnyObject?
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
