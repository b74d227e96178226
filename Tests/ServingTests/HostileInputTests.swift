// Hostile input over a real socket: each case gets its status and a JSON error saying what is
// wrong, and the server goes on answering the others. Limits are the test server's (TestServer).
import Foundation
import XCTest
import Serving

final class HostileInputTests: XCTestCase {
    private var port: Int { get throws { try TestServer.shared(TestServer.translationModel).port } }

    /// `answer` has `status` and a JSON error containing `words`.
    private func expect(_ answer: HTTPAnswer, _ status: Int, _ words: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(answer.status, status, answer.text, file: file, line: line)
        XCTAssertEqual(answer.headers["content-type"], "application/json; charset=utf-8", file: file, line: line)
        let message = answer.object["error"] as? String ?? ""
        XCTAssertTrue(message.contains(words), "error '\(message)' does not say '\(words)'", file: file, line: line)
    }

    func testMalformedBodies() throws {
        let port = try port
        expect(try HTTP.post("/translate", port: port, json: #"{"q": "Ein Hund"#), 400, "not valid JSON")
        expect(try HTTP.post("/translate", port: port, json: ""), 400, "empty")
        expect(try HTTP.request("POST", "/v1/translate", port: port, body: Array(#"{"text": "Ein "#.utf8) + [0xFF, 0xFE] + Array(#"Hund"}"#.utf8)),
               400, "UTF-8")
        expect(try HTTP.post("/translate", port: port, json: "[1, 2]"), 422, "JSON object")
        expect(try HTTP.post("/translate", port: port, json: String(repeating: "[", count: 100)), 400, "not valid JSON")
    }

    func testWrongTypesAndUnknownFields() throws {
        let port = try port
        expect(try HTTP.post("/translate", port: port, json: #"{"q": 5}"#), 422, "\"q\" must be a string or a list")
        expect(try HTTP.post("/translate", port: port, json: #"{"q": ["a", 2]}"#), 422, "\"q\"[1] must be a string")
        expect(try HTTP.post("/translate", port: port, json: #"{"q": "a", "alternatives": "2"}"#), 422, "\"alternatives\" must be an integer")
        expect(try HTTP.post("/translate", port: port, json: #"{"q": "a", "sourse": "de"}"#), 422, "unknown field \"sourse\"")
        expect(try HTTP.post("/translate", port: port, json: #"{"q": "a", "q": "b"}"#), 422, "appears twice")
        expect(try HTTP.post("/translate", port: port, json: #"{"source": "de"}"#), 400, "missing q")
        expect(try HTTP.post("/translate", port: port, json: #"{"q": "a", "target": "fr"}"#), 400, "fr is not supported")
        expect(try HTTP.post("/v1/translate", port: port, json: #"{"text": "a", "beam": 0}"#), 422, "\"beam\" must be an integer in 1...8")
        expect(try HTTP.post("/v1/translate", port: port, json: #"{"text": "a", "beam": 1e400}"#), 422, "\"beam\"")
        expect(try HTTP.post("/v1/translate", port: port, json: #"{"text": "a", "beam": 2, "n_best": 3}"#), 422, "at most the beam")
        expect(try HTTP.post("/v1/translate", port: port, json: #"{"text": "a", "length_penalty": -1}"#), 422, "\"length_penalty\"")
        expect(try HTTP.post("/v1/translate", port: port, json: #"{"text": ["a", "b"], "attention": true}"#), 422, "one text at a time")
    }

    func testTooLarge() throws {
        let port = try port
        let big = #"{"q": ""# + String(repeating: "a", count: 5000) + #""}"#
        expect(try HTTP.post("/translate", port: port, json: big), 413, "at most 4096")
        expect(try HTTP.post("/translate", port: port, json: #"{"q": ["a", "b", "c", "d", "e"]}"#), 413, "at most 4 are accepted")
        let long = String(repeating: "Hund ", count: 61)
        expect(try HTTP.post("/translate", port: port, json: #"{"q": "\#(long)"}"#), 413, "characters")
        let many = String(repeating: "Hund, ", count: 40)
        expect(try HTTP.post("/translate", port: port, json: #"{"q": "\#(many)"}"#), 413, "tokens")
        // A chunked body with no length, growing past the limit.
        let connection = try RawConnection(port: port)
        connection.send("POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        for _ in 0..<5 { connection.send("400\r\n" + String(repeating: " ", count: 1024) + "\r\n") }
        connection.send("0\r\n\r\n")
        expect(try connection.readAnswer(), 413, "larger than 4096")
    }

    /// A body that never arrives gets 408 once the body deadline passes; others are answered meanwhile.
    func testSlowBody() throws {
        let port = try port
        let slow = try RawConnection(port: port)
        slow.send("POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"q\": ")
        XCTAssertEqual(try HTTP.get("/health", port: port).status, 200)
        expect(try slow.readAnswer(), 408, "did not arrive")
    }

    func testRoutesAndMethods() throws {
        let port = try port
        expect(try HTTP.get("/nowhere", port: port), 404, "no route")
        expect(try HTTP.post("/v1/generate", port: port, json: #"{"prompt": "a"}"#), 404, "decoder-only")
        expect(try HTTP.post("/v1/embed", port: port, json: #"{"input": "a"}"#), 404, "encoder-only")
    }

    /// A full queue answers 503 with Retry-After, on a server whose queue holds two sentences.
    func testQueueFull() throws {
        var settings = TestServer.testSettings
        settings.maxQueuedSentences = 2
        let server = try TestServer(model: TestServer.translationModel, settings: settings)
        defer { server.stop() }
        let answer = try HTTP.post("/translate", port: server.port, json: #"{"q": ["Ein Hund.", "Eine Katze.", "Ein Haus."]}"#)
        expect(answer, 503, "queue is full")
        XCTAssertEqual(answer.headers["retry-after"], "1")
        XCTAssertEqual(try HTTP.post("/translate", port: server.port, json: #"{"q": "Ein Hund."}"#).status, 200)
    }

    /// After all of the above, the shared server still translates.
    func testServerStillAnswers() throws {
        let answer = try HTTP.post("/translate", port: try port, json: #"{"q": "Ein Hund läuft durch den Schnee."}"#)
        XCTAssertEqual(answer.status, 200)
        XCTAssertTrue((answer.object["translatedText"] as? String ?? "").contains("dog"))
    }
}
