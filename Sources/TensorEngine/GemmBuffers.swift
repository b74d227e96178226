// Reusable, 64-byte-aligned packing buffers for GEMM, shared by all threads.
import Foundation

/// A float buffer taken from `GemmBuffers` and given back after use.
final class PackBuffer: @unchecked Sendable {
    let floats: UnsafeMutablePointer<Float>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        floats = UnsafeMutableRawPointer.allocate(byteCount: capacity * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: capacity)
    }

    deinit { floats.deallocate() }
}

/// A free list of packing buffers: in steady state GEMM calls allocate nothing, and concurrent
/// callers never share a buffer.
enum GemmBuffers {
    /// Guards `free`. An NSLock (a pthread mutex), which ThreadSanitizer sees: it does not see
    /// Synchronization.Mutex on Linux and reports every access under one as a race.
    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [PackBuffer] = []

    /// A buffer of at least `count` floats: the smallest free one that fits, or else a new one
    /// replacing the largest free one (so the list does not grow with mismatched sizes).
    static func take(_ count: Int) -> PackBuffer {
        lock.lock()
        let fit: PackBuffer?
        if let i = free.indices.filter({ free[$0].capacity >= count }).min(by: { free[$0].capacity < free[$1].capacity }) {
            fit = free.remove(at: i)
        } else {
            if let i = free.indices.max(by: { free[$0].capacity < free[$1].capacity }) { free.remove(at: i) }
            fit = nil
        }
        lock.unlock()
        // Powers of two: a slightly larger request later still fits.
        return fit ?? PackBuffer(capacity: 1 << (Int.bitWidth - (max(count, 16) - 1).leadingZeroBitCount))
    }

    static func give(_ buffer: PackBuffer) {
        lock.lock()
        free.append(buffer)
        lock.unlock()
    }
}
