import JSONText
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File reading and atomic writing with errors that name the file.
public enum FileIO {
    /// The whole file as bytes.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TokenizationError.io(path: path, reason: errnoText()) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TokenizationError.io(path: path, reason: errnoText())
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Writes to `path.tmp-PID`, fsyncs it and renames it over `path`, so readers see the
    /// old file or the new one, never a torn one.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
        let tmp = "\(path).tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw TokenizationError.io(path: path, reason: "cannot create \(tmp): \(errnoText())") }
        var ok = false
        defer { if !ok { close(fd); unlink(tmp) } }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TokenizationError.io(path: tmp, reason: errnoText())
            }
            written += n
        }
        guard fsync(fd) == 0 else { throw TokenizationError.io(path: tmp, reason: errnoText()) }
        ok = true
        close(fd)
        guard rename(tmp, path) == 0 else {
            let reason = errnoText()
            unlink(tmp)
            throw TokenizationError.io(path: path, reason: reason)
        }
    }

    /// Checks that `bytes` is UTF-8; the error names `path` and the 1-based line of the first bad byte.
    public static func validateUTF8(_ bytes: [UInt8], path: String) throws {
        let bad = bytes.withUnsafeBufferPointer { UTF8Validation.firstInvalidIndex($0) }
        if let bad {
            let line = 1 + bytes[..<bad].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw TokenizationError.invalidUTF8(file: path, line: line)
        }
    }

    /// Line ranges of `bytes`, without their `\n` (or `\r\n`); a last line without `\n` counts.
    public static func lineRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        bytes.withUnsafeBufferPointer { p in
            var start = 0
            for i in 0..<p.count where p[i] == 0x0A {
                lines.append(start..<(i > start && p[i - 1] == 0x0D ? i - 1 : i))
                start = i + 1
            }
            if start < p.count { lines.append(start..<p.count) }
        }
        return lines
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
