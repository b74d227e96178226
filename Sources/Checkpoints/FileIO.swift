// POSIX file helpers: reading whole files or prefixes, and atomic replacement.
// Plain read(2)/write(2) with errno reporting; no Foundation, so failures carry the
// exact system error and nothing is silently retried or buffered.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor that closes itself.
final class FileDescriptor {
    let fd: Int32
    let path: String

    init(path: String, flags: Int32, mode: mode_t = 0) throws {
        self.path = path
        var fd: Int32
        repeat { fd = open(path, flags | O_CLOEXEC, mode) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw CheckpointError.io(file: path, operation: "open", errno: errno) }
        self.fd = fd
    }

    convenience init(readingFrom path: String) throws {
        try self.init(path: path, flags: O_RDONLY)
    }

    deinit { close(fd) }

    var size: Int {
        get throws {
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw CheckpointError.io(file: path, operation: "stat", errno: errno) }
            return Int(info.st_size)
        }
    }

    /// Reads exactly `count` bytes at `offset`; a file that shrank mid-read is an error, not a crash.
    func read(count: Int, at offset: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw CheckpointError.io(file: path, operation: "read", errno: errno) }
                guard n > 0 else { throw CheckpointError.io(file: path, operation: "read (file shrank)", errno: EIO) }
                done += n
            }
            initialized = count
        }
    }

    func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw CheckpointError.io(file: path, operation: "write", errno: errno) }
            done += n
        }
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw CheckpointError.io(file: path, operation: "fsync", errno: errno) }
    }
}

/// The C library's text for an errno value.
func systemErrorMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// Replaces `path` with the bytes that `produce` writes, so that readers see the old
/// file or the complete new one, never a part: write a temporary file in the same
/// directory, fsync it, rename it over `path`, then fsync the directory so the rename
/// itself survives a crash. The temporary file is removed on failure.
func writeAtomically(to path: String, _ produce: (FileDescriptor) throws -> Void) throws {
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
    var random = SystemRandomNumberGenerator()
    let temporary = (directory == "/" ? "" : directory) + "/.\(base).tmp-\(getpid())-\(random.next() as UInt32)"
    do {
        let file = try FileDescriptor(path: temporary, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o666)
        try produce(file)
        try file.sync()
    } catch {
        unlink(temporary)
        throw error
    }
    guard rename(temporary, path) == 0 else {
        let code = errno
        unlink(temporary)
        throw CheckpointError.io(file: path, operation: "rename", errno: code)
    }
    let dir = try FileDescriptor(path: directory, flags: O_RDONLY | O_DIRECTORY)
    try dir.sync()
}
