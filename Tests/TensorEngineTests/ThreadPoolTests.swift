// ThreadPool: every index runs exactly once, nested and concurrent loops finish, sizes change.
import Foundation
import Synchronization
import TensorEngine
import XCTest

final class ThreadPoolTests: XCTestCase {
    func testEveryIndexRunsOnce() {
        let pool = ThreadPool(threadCount: 2)
        for count in [0, 1, 2, 3, 100, 1000] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
            defer { hits.deallocate() }
            hits.initialize(repeating: 0, count: max(count, 1))
            pool.parallelFor(count) { hits[$0] += 1 }
            XCTAssert((0..<count).allSatisfy { hits[$0] == 1 }, "count \(count)")
        }
    }

    func testRangesCoverEverything() {
        let pool = ThreadPool(threadCount: 2)
        let sum = Atomic<Int>(0)
        pool.parallelRanges(10_001, grain: 100) { range in
            sum.wrappingAdd(range.reduce(0, +), ordering: .relaxed)
        }
        XCTAssertEqual(sum.load(ordering: .relaxed), 10_000 * 10_001 / 2)
    }

    func testNestedLoopsRunInline() {
        let pool = ThreadPool(threadCount: 2)
        let total = Atomic<Int>(0)
        pool.parallelFor(8) { _ in
            pool.parallelFor(8) { _ in total.wrappingAdd(1, ordering: .relaxed) }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 64)
    }

    func testConcurrentCallersAndResizing() {
        let pool = ThreadPool(threadCount: 1)
        pool.threadCount = 0
        XCTAssertEqual(pool.threadCount, 1)
        pool.threadCount = 3
        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<50 { pool.parallelFor(10) { _ in total.wrappingAdd(1, ordering: .relaxed) } }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 4 * 50 * 10)
    }
}
