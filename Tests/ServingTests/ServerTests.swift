// The server over a real socket on 127.0.0.1: LibreTranslate's /translate and /languages, the
// /v1 routes, batching that gives every request what it would get alone, the page, the metrics.
import Foundation
import XCTest
import Generation
import Models
import Serving

final class ServerTests: XCTestCase {
    private var translation: TestServer { get throws { try TestServer.shared(TestServer.translationModel) } }

    /// What `transformer translate` gives for `text` with the model's defaults (and `beam`).
    private func offline(_ text: String, beam: Int? = nil) throws -> String {
        let bundle = try translation.server.bundle
        var options = bundle.translationDefaults
        if let beam { options.beamSize = beam }
        let ids = try XCTUnwrap(try bundle.sourceIDs(text, limit: InputLengthLimit()))
        let out = Translator(model: try bundle.encoderDecoder(for: "test"), options: options).translate([ids.ids])
        return try bundle.text(try XCTUnwrap(out.first?.first).tokens)
    }

    func testLibreTranslateTranslatesAsOffline() throws {
        let port = try translation.port
        let answer = try HTTP.post("/translate", port: port, json: #"{"q": "Zwei Hunde spielen im Schnee.", "source": "de", "target": "en", "format": "text"}"#)
        XCTAssertEqual(answer.status, 200, answer.text)
        XCTAssertEqual(answer.headers["content-type"], "application/json; charset=utf-8")
        XCTAssertEqual(answer.object["translatedText"] as? String, try offline("Zwei Hunde spielen im Schnee."))
    }

    func testLibreTranslateListAlternativesAndAutoSource() throws {
        let port = try translation.port
        let answer = try HTTP.post("/translate", port: port,
                                   json: #"{"q": ["Ein Hund läuft.", "", "Eine Frau liest."], "source": "auto", "target": "en", "alternatives": 2, "api_key": ""}"#)
        XCTAssertEqual(answer.status, 200, answer.text)
        let texts = try XCTUnwrap(answer.object["translatedText"] as? [String])
        XCTAssertEqual(texts.count, 3)
        XCTAssertEqual(texts[1], "")
        XCTAssertFalse(texts[0].isEmpty)
        let alternatives = try XCTUnwrap(answer.object["alternatives"] as? [[String]])
        XCTAssertEqual(alternatives.map(\.count), [2, 0, 2])
        XCTAssertEqual((answer.object["detectedLanguage"] as? [[String: Any]])?.first?["language"] as? String, "de")
    }

    func testLanguages() throws {
        let answer = try HTTP.get("/languages", port: try translation.port)
        XCTAssertEqual(answer.status, 200)
        let list = try XCTUnwrap(answer.json as? [[String: Any]])
        XCTAssertEqual(list.first?["code"] as? String, "de")
        XCTAssertEqual(list.first?["targets"] as? [String], ["en"])
        XCTAssertEqual(list.first?["name"] as? String, "German")
    }

    func testNBestWithScoresAndAttention() throws {
        let answer = try HTTP.post("/v1/translate", port: try translation.port,
                                   json: #"{"text": "Ein Mann fährt Fahrrad.", "beam": 4, "n_best": 3, "attention": true}"#)
        XCTAssertEqual(answer.status, 200, answer.text)
        let first = try XCTUnwrap((answer.object["translations"] as? [[String: Any]])?.first)
        let hypotheses = try XCTUnwrap(first["hypotheses"] as? [[String: Any]])
        XCTAssertEqual(hypotheses.count, 3)
        let scores = hypotheses.compactMap { $0["score"] as? Double }
        XCTAssertEqual(scores, scores.sorted(by: >), "hypotheses best first")
        XCTAssertEqual(first["text"] as? String, try offline("Ein Mann fährt Fahrrad.", beam: 4))
        let attention = try XCTUnwrap(first["attention"] as? [String: Any])
        let sites = try XCTUnwrap(attention["sites"] as? [[String: Any]])
        XCTAssertEqual(sites.compactMap { $0["site"] as? String }, ["encoder", "decoder", "cross"])
        let cross = sites[2]
        let layers = try XCTUnwrap(cross["layers"] as? [[[[Double]]]])
        let queries = try XCTUnwrap(cross["query_tokens"] as? [String]), keys = try XCTUnwrap(cross["key_tokens"] as? [String])
        XCTAssertEqual(layers.count, 3)
        XCTAssertEqual(layers[0].count, 8)
        XCTAssertEqual(layers[0][0].count, queries.count)
        for row in layers[2][5] {
            XCTAssertEqual(row.count, keys.count)
            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-2, "each attention row sums to 1")
        }
    }

    /// Concurrent requests are batched together and each gets what it gets alone.
    func testConcurrentRequestsGetWhatTheyGetAlone() throws {
        let port = try translation.port
        let sentences = ["Ein Hund läuft durch den Schnee.", "Eine Frau sitzt auf einer Bank.", "Zwei Kinder spielen am Strand.",
                         "Ein Mann fährt Fahrrad auf der Straße.", "Ein Junge springt ins Wasser.", "Drei Männer stehen vor einem Haus.",
                         "Eine Gruppe von Menschen tanzt.", "Ein kleines Mädchen lacht."]
        let expected = try sentences.map { try offline($0) }
        let answers = Answers(sentences.count)
        // One thread per client, so that all eight requests are in the queue together.
        let done = DispatchGroup()
        for i in sentences.indices {
            done.enter()
            Thread {
                let json = #"{"q": "\#(sentences[i])", "source": "de", "target": "en"}"#
                answers[i] = try? HTTP.post("/translate", port: port, json: json)
                done.leave()
            }.start()
        }
        done.wait()
        for i in sentences.indices {
            XCTAssertEqual(answers[i]?.status, 200)
            XCTAssertEqual(answers[i]?.object["translatedText"] as? String, expected[i], sentences[i])
        }
        let metrics = try HTTP.get("/metrics", port: port)
        XCTAssertTrue(metrics.text.contains(#"transformer_http_requests_total{route="/translate",status="200"}"#), metrics.text)
        XCTAssertTrue(metrics.text.contains("transformer_batch_sentences_count"))
        XCTAssertTrue(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
    }

    func testModelHealthAndPage() throws {
        let port = try translation.port
        XCTAssertEqual(try HTTP.get("/health", port: port).object["status"] as? String, "ok")
        let model = try HTTP.get("/v1/model", port: port).object
        XCTAssertEqual(model["family"] as? String, "encoder-decoder")
        XCTAssertEqual(model["d_model"] as? Int, 256)
        XCTAssertTrue(["f32", "bf16", "int8"].contains(model["precision"] as? String ?? ""))
        let page = try HTTP.get("/", port: port)
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.headers["content-type"], "text/html; charset=utf-8")
        XCTAssertTrue(page.text.contains("<html"))
        XCTAssertFalse(page.text.contains("http://") || page.text.contains("https://"), "the page fetches nothing from elsewhere")
    }

    /// Results written by client threads.
    final class Answers: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [HTTPAnswer?]
        init(_ n: Int) { values = Array(repeating: nil, count: n) }
        subscript(i: Int) -> HTTPAnswer? {
            get { lock.lock(); defer { lock.unlock() }; return values[i] }
            set { lock.lock(); values[i] = newValue; lock.unlock() }
        }
    }
}
