// A persistent pool of worker threads for data-parallel loops.
// Waking a sleeping thread costs ~50 µs on this machine, so workers spin briefly before
// they sleep, and small loops run on the calling thread. Work is split by index only,
// so results never depend on how many threads ran it.
import Foundation
import Synchronization

public final class ThreadPool: @unchecked Sendable {
    /// The process-wide pool. Its size comes from `TRANSFORMER_THREADS` or the core count.
    public static let shared = ThreadPool(threadCount: ThreadPool.defaultThreadCount)

    public static var defaultThreadCount: Int {
        if let s = ProcessInfo.processInfo.environment["TRANSFORMER_THREADS"], let n = Int(s), n >= 1 {
            return min(n, 256)
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    private final class Job {
        let body: (Int) -> Void
        let count: Int
        let participants: Int
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        init(body: @escaping (Int) -> Void, count: Int, participants: Int) {
            self.body = body; self.count = count; self.participants = participants
        }
        func run() {
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= count { return }
                body(i)
                done.wrappingAdd(1, ordering: .releasing)
            }
        }
    }

    private let mutex = NSCondition()
    private let generation = Atomic<Int>(0)
    private var job: Job?
    private var workers: [Thread] = []
    private let busy = Atomic<Bool>(false)
    /// Workers still holding the current job.
    private let holders = Atomic<Int>(0)
    private static let spinIterations = 200_000
    private static let workerKey = "swift-transformer.worker"

    /// Threads taking part in a loop, the caller included.
    public var threadCount: Int {
        didSet {
            threadCount = max(1, threadCount)
            startWorkers()
        }
    }

    public init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
        startWorkers()
    }

    private func startWorkers() {
        mutex.lock(); defer { mutex.unlock() }
        while workers.count < threadCount - 1 {
            let index = workers.count
            let t = Thread { [unowned self] in self.workerLoop(index: index) }
            t.threadDictionary[ThreadPool.workerKey] = true
            t.stackSize = 8 << 20
            workers.append(t)
            t.start()
        }
    }

    private func workerLoop(index: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen && spins < ThreadPool.spinIterations {
                spins += 1
            }
            if takeAndRun(index: index, seen: &seen) { holders.wrappingSubtract(1, ordering: .releasing) }
        }
    }

    /// Waits for the next job and runs it if this worker takes part; true if it saw a job.
    /// Not inlined: its reference to the job (and so to the caller's non-escaping closure) is gone
    /// once it returns, and only then may the worker leave `holders`, which `parallelFor` waits on
    /// before that closure goes away (else withoutActuallyEscaping traps: "closure argument was escaped").
    @inline(never)
    private func takeAndRun(index: Int, seen: inout Int) -> Bool {
        mutex.lock()
        while generation.load(ordering: .acquiring) == seen { mutex.wait() }
        seen = generation.load(ordering: .acquiring)
        let current = job
        if current != nil { holders.wrappingAdd(1, ordering: .relaxed) }
        mutex.unlock()
        if let current, index + 1 < current.participants { current.run() }
        return current != nil
    }

    private static var isWorkerThread: Bool {
        Thread.current.threadDictionary[workerKey] != nil
    }

    /// Runs `body(i)` for every `i` in `0..<count`, spread over the pool; returns when all are done.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        let participants = min(threadCount, count)
        if participants <= 1 || ThreadPool.isWorkerThread
            || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escaping in
            let j = Job(body: escaping, count: count, participants: participants)
            mutex.lock()
            job = j
            generation.wrappingAdd(1, ordering: .releasing)
            mutex.broadcast()
            mutex.unlock()
            j.run()
            while j.done.load(ordering: .acquiring) < count {}
            mutex.lock(); job = nil; mutex.unlock()
            while holders.load(ordering: .acquiring) > 0 {}
        }
        busy.store(false, ordering: .releasing)
    }

    /// Splits `0..<count` into contiguous chunks of at least `grain` items and runs them in parallel.
    /// The chunking depends only on `count`, `grain` and the thread count, and callers must only use
    /// it for work whose result does not depend on the chunking (independent rows or elements).
    public func parallelRanges(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let chunks = min(max(1, count / max(1, grain)), threadCount * 4)
        if chunks <= 1 { body(0..<count); return }
        let size = (count + chunks - 1) / chunks
        parallelFor((count + size - 1) / size) { c in
            body(c * size ..< min(count, (c + 1) * size))
        }
    }
}
