// Reusable, 64-byte-aligned packing buffers for GEMM, shared by all threads.
import Synchronization

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
    private static let free = Mutex<[PackBuffer]>([])

    /// A buffer of at least `count` floats: the smallest free one that fits, or else a new one
    /// replacing the largest free one (so the list does not grow with mismatched sizes).
    static func take(_ count: Int) -> PackBuffer {
        let fit = free.withLock { list -> PackBuffer? in
            if let i = list.indices.filter({ list[$0].capacity >= count })
                .min(by: { list[$0].capacity < list[$1].capacity }) {
                return list.remove(at: i)
            }
            if let i = list.indices.max(by: { list[$0].capacity < list[$1].capacity }) { list.remove(at: i) }
            return nil
        }
        // Powers of two: a slightly larger request later still fits.
        return fit ?? PackBuffer(capacity: 1 << (Int.bitWidth - (max(count, 16) - 1).leadingZeroBitCount))
    }

    static func give(_ buffer: PackBuffer) {
        free.withLock { $0.append(buffer) }
    }
}
