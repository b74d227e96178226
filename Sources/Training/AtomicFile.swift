// Crash-safe file replacement: write a temporary file in the same directory, fsync it,
// rename it over the target, fsync the directory. Readers see the old file or the new one.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum AtomicFile {
    /// Replaces `path` with `data` atomically.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TrainingError("cannot create \(temporary): \(errnoText())") }
        var ok = false
        defer { if !ok { unlink(temporary) } }
        let written = data.withUnsafeBytes { raw -> Bool in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                done += n
            }
            return true
        }
        let synced = written && fsync(fd) == 0
        close(fd)
        guard synced else { throw TrainingError("cannot write \(temporary): \(errnoText())") }
        guard Glibc.rename(temporary, path) == 0 else { throw TrainingError("cannot rename \(temporary) to \(path): \(errnoText())") }
        ok = true
        try syncDirectory(directory)
    }

    /// Renames a directory (or file) and makes the rename durable.
    public static func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw TrainingError("cannot rename \(from) to \(to): \(errnoText())") }
        try syncDirectory(URL(fileURLWithPath: to).deletingLastPathComponent().path)
    }

    /// fsync on a directory persists the entries created or renamed in it.
    public static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw TrainingError("cannot open directory \(path): \(errnoText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw TrainingError("cannot sync directory \(path): \(errnoText())") }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
