// A minimal HTTP/1.1 client on POSIX sockets for the server tests: it sends exactly the bytes a
// test writes (invalid UTF-8, a body that stops halfway, a connection dropped mid-stream), which
// a full client library would not let through, and reads the answer until the server closes.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct HTTPAnswer {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
}

struct ClientError: Error, CustomStringConvertible {
    let description: String
}

final class RawConnection {
    let fd: Int32
    private var open = true

    init(port: Int, timeoutSeconds: Int = 60) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError(description: "socket() failed") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw ClientError(description: "connect to 127.0.0.1:\(port) failed (errno \(errno))")
        }
    }

    deinit { disconnect() }

    /// Closes the socket: with the server's data unread, the kernel resets the connection.
    func disconnect() {
        if open { close(fd) }
        open = false
    }

    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Up to `count` bytes, or nil at the end of the stream (or on the receive timeout).
    func receive(_ count: Int = 65536) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, count, 0) }
        return n > 0 ? Array(buffer[..<n]) : nil
    }

    /// Everything until the server closes the connection, as one answer (a chunked body joined).
    func readAnswer() throws -> HTTPAnswer {
        var data: [UInt8] = []
        while let chunk = receive() { data += chunk }
        return try HTTPAnswer(parsing: data)
    }
}

extension HTTPAnswer {
    init(parsing data: [UInt8]) throws {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = (0..<max(0, data.count - 3)).first(where: { Array(data[$0..<$0 + 4]) == separator }) else {
            throw ClientError(description: "no HTTP head in \(data.count) bytes: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        let lines = String(decoding: data[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw ClientError(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = HTTPAnswer.dechunk(body) }
        self.init(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < data.count {
            guard let lineEnd = (i..<max(i, data.count - 1)).first(where: { data[$0] == 13 && data[$0 + 1] == 10 }),
                  let size = Int(String(decoding: data[i..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16) else { break }
            if size == 0 { break }
            let start = lineEnd + 2
            out += data[start..<min(data.count, start + size)]
            i = start + size + 2
        }
        return out
    }
}

enum HTTP {
    /// One request on a new connection ("Connection: close"), its answer read to the end.
    static func request(_ method: String, _ path: String, port: Int, body: [UInt8]? = nil,
                        contentType: String = "application/json") throws -> HTTPAnswer {
        let connection = try RawConnection(port: port)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let body { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n" }
        connection.send(Array((head + "\r\n").utf8) + (body ?? []))
        return try connection.readAnswer()
    }

    static func post(_ path: String, port: Int, json: String) throws -> HTTPAnswer {
        try request("POST", path, port: port, body: Array(json.utf8))
    }

    static func get(_ path: String, port: Int) throws -> HTTPAnswer { try request("GET", path, port: port) }
}
