// A persistent pool of worker threads for data-parallel loops.
// Waking a sleeping thread costs ~50 µs on this machine, so workers spin (about a millisecond)
// before they sleep, long enough to stay awake across a decoding step's serial work; small
// loops run on the calling thread. Work is split by index only,
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

    /// The loop being run: a pointer to the caller's closure, valid until `parallelFor` returns.
    private struct Work {
        let body: UnsafeRawPointer
        let count: Int
        let participants: Int
    }

    private let mutex = NSCondition()
    private let generation = Atomic<Int>(0)
    private var work: Work?
    private let next = Atomic<Int>(0)
    /// Workers that joined the current loop and may still touch its closure.
    private let active = Atomic<Int>(0)
    private var workers: [Thread] = []
    private let busy = Atomic<Bool>(false)
    private static let spinIterations = 2_000_000
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
            // Workers keep their pool alive: a pool lives as long as the process.
            let t = Thread { self.workerLoop(index: index) }
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
            mutex.lock()
            while generation.load(ordering: .acquiring) == seen { mutex.wait() }
            seen = generation.load(ordering: .acquiring)
            // Joining under the mutex: the caller clears `work` under it, then waits for `active`
            // to drain, so a worker never runs a loop whose caller has returned.
            let current = work.flatMap { index + 1 < $0.participants ? $0 : nil }
            if current != nil { active.wrappingAdd(1, ordering: .relaxed) }
            mutex.unlock()
            if let current {
                runItems(current)
                active.wrappingSubtract(1, ordering: .releasing)
            }
        }
    }

    /// Takes items until none are left. Not inlined, so each call's copy of the closure is released
    /// before the worker reports that it has left.
    @inline(never)
    private func runItems(_ w: Work) {
        let body = w.body.assumingMemoryBound(to: ((Int) -> Void).self)
        while true {
            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if i >= w.count { return }
            body.pointee(i)
        }
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
            withUnsafePointer(to: escaping) { pointer in
                let w = Work(body: UnsafeRawPointer(pointer), count: count, participants: participants)
                mutex.lock()
                work = w
                next.store(0, ordering: .relaxed)
                generation.wrappingAdd(1, ordering: .releasing)
                mutex.broadcast()
                mutex.unlock()
                // The caller takes items too, so a worker that is slow to wake (or descheduled by
                // other processes) delays nothing: it only has to finish an item it already took.
                runItems(w)
                mutex.lock(); work = nil; mutex.unlock()
                while active.load(ordering: .acquiring) > 0 {}
            }
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
