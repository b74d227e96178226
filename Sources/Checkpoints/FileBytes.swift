// A weight file's bytes, memory-mapped (or copied, for bytes already in memory), that float32
// tensors can view in place instead of being copied.
//
// The mapping is MAP_PRIVATE with PROT_READ|PROT_WRITE: tensors that view it are ordinary
// tensors, and code that writes into a tensor (an optimizer step, an in-place op) then copies
// that page for this process alone; nothing reaches the file and nothing faults on read-only
// memory. The size is taken once, up front, and every header, offset and length is checked
// against it before any tensor byte is touched. What mapping cannot protect against is
// another process changing the file while it is mapped: truncating it makes the next touch of
// a lost page raise SIGBUS, rewriting it in place changes values not yet read. The safetensors
// library and torch.load(mmap=True) share this limit. Writers that replace files by rename
// (ours, Hugging Face's) leave a mapped file intact.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import TensorEngine

final class FileBytes: @unchecked Sendable {
    /// The path, or the name given to in-memory bytes; errors use it.
    let path: String
    let base: UnsafeMutableRawPointer
    let count: Int
    private let mapped: Bool

    /// Maps the whole regular file at `path`.
    init(mapping path: String) throws {
        // O_NONBLOCK so that a FIFO given by mistake is refused below instead of blocking open.
        let file = try FileDescriptor(path: path, flags: O_RDONLY | O_NONBLOCK)
        var info = stat()
        guard fstat(file.fd, &info) == 0 else { throw CheckpointError.io(file: path, operation: "stat", errno: errno) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw CheckpointError.io(file: path, operation: "open (not a regular file)", errno: EINVAL)
        }
        self.path = path
        count = Int(info.st_size)
        if count == 0 {
            // mmap refuses length 0; an empty file has nothing to view anyway.
            (base, mapped) = (UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16), false)
            return
        }
        guard let p = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_PRIVATE, file.fd, 0), p != MAP_FAILED else {
            throw CheckpointError.io(file: path, operation: "mmap", errno: errno)
        }
        (base, mapped) = (p, true)
    }

    /// A private copy of bytes already in memory; `name` stands for the path in errors.
    init(copying bytes: [UInt8], name: String) {
        let base = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { if let source = $0.baseAddress { base.copyMemory(from: source, byteCount: $0.count) } }
        (path, count, self.base, mapped) = (name, bytes.count, base, false)
    }

    deinit {
        if mapped { munmap(base, count) } else { base.deallocate() }
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// The bytes `range` as an array (`range` must lie within the file).
    subscript(range: Range<Int>) -> [UInt8] {
        Array(UnsafeRawBufferPointer(rebasing: bytes[range]))
    }

    /// Gives the whole pages inside `range` back to the kernel (a mapping; copies keep theirs). Pages
    /// of a private mapping that were not written read the file again when touched, so this only
    /// lowers resident memory: for bytes already copied elsewhere (weights packed while loading).
    func releasePages(_ range: Range<Int>) {
        guard mapped else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound + page - 1) / page * page, end = range.upperBound / page * page
        if end > start { _ = madvise(base + start, end - start, MADV_DONTNEED) }
    }

    /// `releasePages` for `byteCount` bytes at `pointer` when they lie in this file; nothing for memory elsewhere.
    func releasePages(at pointer: UnsafeRawPointer, byteCount: Int) {
        let start = pointer - UnsafeRawPointer(base)
        guard start >= 0, start + byteCount <= count else { return }
        releasePages(start..<(start + byteCount))
    }

    /// A storage viewing `byteCount` bytes at `offset` (4-byte aligned, within the file) that keeps
    /// these bytes alive while any tensor uses it.
    func storage(at offset: Int, byteCount: Int) -> Storage {
        Storage(borrowing: base + offset, byteCount: byteCount, release: { [self] in withExtendedLifetime(self) {} })
    }
}
