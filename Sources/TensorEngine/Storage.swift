// Tensor storage: buffers from a size-class pool (large) or malloc (small), or borrowed memory.
// glibc returns large blocks to the OS on free, so a buffer allocated anew every training
// step is page-faulted and zeroed every step; the pool keeps them for reuse instead.
import Foundation

/// A reference-counted block of memory that tensors view: 64-byte aligned from the pool's
/// threshold up, 16-byte aligned below it (kernels use unaligned loads); or memory borrowed
/// from an owner such as a memory-mapped checkpoint, 4-byte aligned.
public final class Storage: @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer
    public let byteCount: Int
    private let owner: Owner

    private enum Owner {
        case pool(capacity: Int)
        case borrowed(release: @Sendable () -> Void)
    }

    public init(byteCount: Int) {
        self.byteCount = byteCount
        let (pointer, capacity) = BufferPool.shared.allocate(byteCount)
        self.pointer = pointer
        owner = .pool(capacity: capacity)
    }

    /// Views `byteCount` bytes at `pointer` that something else owns: the storage never frees
    /// them and calls `release` once when it dies (a closure that holds the owner keeps the
    /// memory alive until then). Tensors may write through any storage, so the memory must be
    /// writable (a private, copy-on-write file mapping is).
    public init(borrowing pointer: UnsafeMutableRawPointer, byteCount: Int, release: @escaping @Sendable () -> Void) {
        precondition(Int(bitPattern: pointer) % MemoryLayout<Float>.alignment == 0, "Storage: borrowed memory must be 4-byte aligned")
        self.pointer = pointer
        self.byteCount = byteCount
        owner = .borrowed(release: release)
    }

    deinit {
        switch owner {
        case .pool(let capacity): BufferPool.shared.release(pointer, capacity: capacity)
        case .borrowed(let release): release()
        }
    }
}

/// Caches freed large buffers by size class (four classes per power of two).
public final class BufferPool: @unchecked Sendable {
    public static let shared = BufferPool()

    /// Buffers below this size go straight to malloc, which handles them well.
    static let poolThreshold = 64 << 10
    /// Upper bound on memory kept idle in the pool.
    public var maxCachedBytes = 4 << 30

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var cachedBytes = 0

    static func sizeClass(_ bytes: Int) -> Int {
        let b = max(bytes, 64)
        if b < poolThreshold { return (b + 63) & ~63 }
        let top = Int.bitWidth - 1 - b.leadingZeroBitCount
        let step = 1 << (top - 2)
        return (b + step - 1) / step * step
    }

    func allocate(_ bytes: Int) -> (UnsafeMutableRawPointer, Int) {
        let cap = BufferPool.sizeClass(bytes)
        if cap >= BufferPool.poolThreshold {
            lock.lock()
            // A buffer up to two classes larger (at most about 1.5× the size) serves too: batches of
            // varying shapes then share buffers instead of each size class keeping its own.
            var c = cap
            for _ in 0..<3 {
                if let p = free[c]?.popLast() {
                    cachedBytes -= c
                    lock.unlock()
                    return (p, c)
                }
                c = BufferPool.sizeClass(c + 1)
            }
            lock.unlock()
        }
        // Small buffers take malloc's own 16-byte alignment: asking for 64 sends every one through
        // glibc's memalign path (over-allocate, split, consolidate), which cost a decoding step
        // at batch 1 (dozens of small tensors) about a tenth of its time.
        return (UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: cap >= BufferPool.poolThreshold ? 64 : 16), cap)
    }

    func release(_ p: UnsafeMutableRawPointer, capacity cap: Int) {
        if cap >= BufferPool.poolThreshold {
            lock.lock()
            if cachedBytes + cap <= maxCachedBytes {
                free[cap, default: []].append(p)
                cachedBytes += cap
                lock.unlock()
                return
            }
            lock.unlock()
        }
        p.deallocate()
    }

    /// Returns every cached buffer to the system.
    public func trim() {
        lock.lock(); defer { lock.unlock() }
        for (_, list) in free { for p in list { p.deallocate() } }
        free = [:]
        cachedBytes = 0
    }
}
