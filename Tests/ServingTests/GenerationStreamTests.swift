// /v1/generate with the bundled character-level model: server-sent events that add up to what the
// library generates with the same seed, 429 past the stream limit, a client that disconnects
// mid-stream; and the transformer-serve executable on SIGTERM.
import Foundation
import XCTest
import Generation
import Models
import Serving

final class GenerationStreamTests: XCTestCase {
    /// The events of an SSE body: (event name or nil, data).
    private func events(_ body: String) -> [(String?, [String: Any])] {
        body.components(separatedBy: "\n\n").compactMap { block in
            var name: String?
            var data: String?
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            guard let data, let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return nil }
            return (name, object)
        }
    }

    func testStreamEqualsLibraryGeneration() throws {
        let server = try TestServer.shared(TestServer.languageModel)
        let answer = try HTTP.post("/v1/generate", port: server.port,
                                   json: #"{"prompt": "ROMEO:", "max_tokens": 40, "temperature": 0.8, "top_k": 20, "seed": 7}"#)
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual(answer.headers["content-type"], "text/event-stream; charset=utf-8")
        let list = events(answer.text)
        let done = try XCTUnwrap(list.last)
        XCTAssertEqual(done.0, "done")
        XCTAssertEqual(done.1["tokens"] as? Int, 40)
        XCTAssertEqual(done.1["finish_reason"] as? String, "length")
        let streamed = list.dropLast().map { $0.1["text"] as? String ?? "" }.joined()

        let bundle = server.server.bundle
        let (ids, _) = try bundle.promptIDs("ROMEO:", limit: InputLengthLimit())
        var sampler = Sampler(temperature: 0.8, topK: 20, seed: 7)
        let tokens = LanguageModelGeneration.run(model: try bundle.decoderOnly(for: "test"), prompt: ids, maxNewTokens: 40,
                                                 sampler: &sampler, stopTokens: bundle.stopTokens, slidingWindow: true)
        var stream = TextStream(tokenizer: try bundle.requireTokenizer(for: "test"), prompt: ids)
        XCTAssertEqual(streamed, tokens.map { stream.append($0) }.joined() + stream.finish())

        let whole = try HTTP.post("/v1/generate", port: server.port,
                                  json: #"{"prompt": "ROMEO:", "max_tokens": 40, "temperature": 0.8, "top_k": 20, "seed": 7, "stream": false}"#)
        XCTAssertEqual(whole.object["text"] as? String, streamed)
    }

    /// With one stream allowed, a second gets 429 with Retry-After; a client that goes away
    /// mid-stream frees its slot, and the server goes on.
    func testStreamLimitAndDisconnect() throws {
        var settings = TestServer.testSettings
        settings.maxStreams = 1
        let server = try TestServer(model: TestServer.languageModel, settings: settings)
        defer { server.stop() }
        let first = try RawConnection(port: server.port)
        let body = #"{"prompt": "KING:", "max_tokens": 4000, "seed": 1}"#
        first.send("POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertNotNil(first.receive(), "the stream starts")
        let refused = try HTTP.post("/v1/generate", port: server.port, json: #"{"prompt": "a", "max_tokens": 5}"#)
        XCTAssertEqual(refused.status, 429, refused.text)
        XCTAssertEqual(refused.headers["retry-after"], "1")
        first.disconnect()
        // The generation notices at its next write and frees the slot.
        var status = 0
        for _ in 0..<100 {
            status = try HTTP.post("/v1/generate", port: server.port, json: #"{"prompt": "a", "max_tokens": 5, "stream": false}"#).status
            if status == 200 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTAssertEqual(status, 200)
    }

    /// SIGTERM: the request in flight is answered, new connections are refused, the process exits 0.
    func testSIGTERMDrainsAndExitsZero() throws {
        // The test bundle is built beside the products (.build/release).
        let runner = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        let directory = runner.resolvingSymlinksInPath().deletingLastPathComponent()
        let executable = directory.appendingPathComponent("transformer-serve")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            return XCTFail("transformer-serve is not built in \(directory.path)")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--model", TestServer.languageModel, "--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = ""
        while !line.contains("\n"), let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty {
            line += String(decoding: byte, as: UTF8.self)
        }
        let port = try XCTUnwrap(line.split(separator: ":").last.flatMap { Int($0.filter(\.isNumber)) }, line)
        let inFlight = try RawConnection(port: port)
        let body = #"{"prompt": "KING:", "max_tokens": 300, "seed": 2, "stream": false}"#
        inFlight.send("POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        Thread.sleep(forTimeInterval: 0.3)
        kill(process.processIdentifier, SIGTERM)
        let answer = try inFlight.readAnswer()
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual(answer.object["tokens"] as? Int, 300)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertThrowsError(try RawConnection(port: port), "the port no longer accepts")
    }
}
