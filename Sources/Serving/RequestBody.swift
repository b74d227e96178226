// Reading a request body: collected within a size limit and a deadline (413, 408), checked to
// be UTF-8 and JSON (400), then read as an object whose fields are typed and known (422), so
// every malformed request is refused with a message naming the field before any decoding starts.
import Foundation
import Hummingbird
import JSONText

/// A JSON object of a request, read field by field; `finish()` refuses fields nobody asked for.
struct RequestObject {
    private let members: [(key: String, value: JSONValue)]
    private var known: Set<String> = []

    init(_ value: JSONValue) throws {
        guard case .object(let members) = value else { throw APIError.unprocessable("the body must be a JSON object, not \(value.kindName)") }
        var seen = Set<String>()
        for m in members where !seen.insert(m.key).inserted { throw APIError.unprocessable("field \"\(m.key)\" appears twice") }
        self.members = members
    }

    /// The value of `key`, nil when absent or null; the key is known from now on.
    mutating func value(_ key: String) -> JSONValue? {
        known.insert(key)
        guard let v = members.first(where: { $0.key == key })?.value, !v.isNull else { return nil }
        return v
    }

    mutating func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.string else { throw APIError.unprocessable("\"\(key)\" must be a string, not \(v.kindName)") }
        return s
    }

    mutating func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.bool else { throw APIError.unprocessable("\"\(key)\" must be true or false, not \(v.kindName)") }
        return b
    }

    mutating func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let v = value(key) else { return nil }
        guard case .value(let n)? = v.nonNegativeInteger, n <= UInt64(range.upperBound), Int(n) >= range.lowerBound else {
            throw APIError.unprocessable("\"\(key)\" must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return Int(n)
    }

    mutating func uint64(_ key: String) throws -> UInt64? {
        guard let v = value(key) else { return nil }
        guard case .value(let n)? = v.nonNegativeInteger else { throw APIError.unprocessable("\"\(key)\" must be a non-negative integer") }
        return n
    }

    mutating func float(_ key: String, in range: ClosedRange<Float>) throws -> Float? {
        guard let v = value(key) else { return nil }
        guard let d = v.double, d.isFinite, range.contains(Float(d)) else {
            throw APIError.unprocessable("\"\(key)\" must be a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return Float(d)
    }

    /// A string or a list of strings (LibreTranslate's `q`); `isList` says which it was.
    mutating func texts(_ key: String) throws -> (texts: [String], isList: Bool)? {
        guard let v = value(key) else { return nil }
        if let s = v.string { return ([s], false) }
        guard let items = v.array else { throw APIError.unprocessable("\"\(key)\" must be a string or a list of strings, not \(v.kindName)") }
        let texts = try items.enumerated().map { i, item in
            guard let s = item.string else { throw APIError.unprocessable("\"\(key)\"[\(i)] must be a string, not \(item.kindName)") }
            return s
        }
        return (texts, true)
    }

    /// Refuses any field that was not read (a misspelt option is an error, not a silent default).
    func finish() throws {
        if let unknown = members.first(where: { !known.contains($0.key) }) {
            throw APIError.unprocessable("unknown field \"\(unknown.key)\"; known: \(known.sorted().joined(separator: ", "))")
        }
    }
}

enum RequestReading {
    /// The whole body as bytes, within `settings`' size limit and deadline.
    static func bytes(_ request: Request, settings: ServerSettings) async throws -> [UInt8] {
        let limit = settings.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError.tooLarge("the body has \(length) bytes; at most \(limit) are accepted")
        }
        let timeout = Duration.milliseconds(Int64(settings.bodyTimeoutSeconds * 1000))
        return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                var out: [UInt8] = []
                for try await chunk in request.body {
                    guard out.count + chunk.readableBytes <= limit else {
                        throw APIError.tooLarge("the body is larger than \(limit) bytes")
                    }
                    out += chunk.readableBytesView
                }
                return out
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let body = first else {
                throw APIError(.requestTimeout, "the body did not arrive within \(settings.bodyTimeoutSeconds) seconds")
            }
            return body
        }
    }

    /// The body as a JSON object: 400 for a body that is empty, not UTF-8 or not JSON.
    static func object(_ request: Request, settings: ServerSettings) async throws -> RequestObject {
        let body = try await bytes(request, settings: settings)
        guard !body.isEmpty else { throw APIError.badRequest("the body is empty; send a JSON object") }
        if let bad = UTF8Validation.firstInvalidIndex(body) { throw APIError.badRequest("the body is not valid UTF-8 (byte \(bad))") }
        let value: JSONValue
        do { value = try JSONValue.parse(body, maxDepth: 32) } catch {
            throw APIError.badRequest("the body is not valid JSON: \(error.reason) at byte \(error.offset)")
        }
        return try RequestObject(value)
    }
}
