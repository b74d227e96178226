// Errors as the API answers them: an HTTP status and a JSON body {"error": "..."} saying what is
// wrong (LibreTranslate's shape, so its clients show the message), with Retry-After when the
// client should come back later.
import Foundation
import Hummingbird
import JSONText

public struct APIError: Error, CustomStringConvertible, Sendable {
    public let status: HTTPResponse.Status
    public let message: String
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(status.code) \(message)" }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    static func unprocessable(_ message: String) -> APIError { APIError(.unprocessableContent, message) }
    static func tooLarge(_ message: String) -> APIError { APIError(.contentTooLarge, message) }

    public var response: Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if status.code == 408 || status.code == 413 { headers[.connection] = "close" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSONBody.bytes(.object([("error", .string(message))])))))
    }
}

/// JSON response bodies.
enum JSONBody {
    static func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        value.write(to: &out)
        out.append(0x0A)
        return out
    }

    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes(value))))
    }

    /// A float as JSON: finite values as Swift prints them (shortest round-trip), others as null.
    static func number(_ x: Float) -> JSONValue { x.isFinite ? .number("\(x)") : .null }
}
