// The server's metrics in the Prometheus text exposition format (version 0.0.4): counters,
// gauges and cumulative histograms with `le` buckets, written by hand because the format is a
// few lines and the metrics are few: requests by route and status, request latency per route,
// batch sizes, queue length, and generated tokens (with the decoding rate of the last batch).
import Foundation

public final class ServingMetrics: @unchecked Sendable {
    private struct Histogram {
        let bounds: [Double]
        var counts: [Int]
        var sum = 0.0
        var count = 0

        init(bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count)
        }

        mutating func observe(_ value: Double) {
            for (i, bound) in bounds.enumerated() where value <= bound { counts[i] += 1 }
            sum += value
            count += 1
        }
    }

    private struct RequestKey: Hashable, Comparable {
        let route: String
        let status: Int
        static func < (a: RequestKey, b: RequestKey) -> Bool { (a.route, a.status) < (b.route, b.status) }
    }

    private static let latencyBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    private static let batchBounds: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]

    private let lock = NSLock()
    private var requests: [RequestKey: Int] = [:]
    private var latency: [String: Histogram] = [:]
    private var batchSentences = Histogram(bounds: ServingMetrics.batchBounds)
    private var queueLength = 0
    private var inFlight = 0
    private var generatedTokens = 0
    private var decodingSeconds = 0.0
    private var lastTokensPerSecond = 0.0

    public init() {}

    /// A finished request: its route (the pattern, not the path, so that the label set stays small).
    public func recordRequest(route: String, status: Int, seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        requests[RequestKey(route: route, status: status), default: 0] += 1
        latency[route, default: Histogram(bounds: ServingMetrics.latencyBounds)].observe(seconds)
    }

    public func requestStarted() { lock.lock(); inFlight += 1; lock.unlock() }
    public func requestEnded() { lock.lock(); inFlight -= 1; lock.unlock() }

    public func setQueueLength(_ n: Int) { lock.lock(); queueLength = n; lock.unlock() }

    /// A decoded batch (translation), or a generation stream's tokens (`sentences` 0: no batch).
    public func recordBatch(sentences: Int, sourceTokens: Int, generatedTokens tokens: Int, seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        if sentences > 0 { batchSentences.observe(Double(sentences)) }
        generatedTokens += tokens
        decodingSeconds += seconds
        if seconds > 0 { lastTokensPerSecond = Double(tokens) / seconds }
    }

    /// Every metric, as Prometheus scrapes them.
    public func exposition() -> String {
        lock.lock(); defer { lock.unlock() }
        var out = ""
        func header(_ name: String, _ type: String, _ help: String) { out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n" }
        func histogram(_ name: String, _ labels: String, _ h: Histogram) {
            let sep = labels.isEmpty ? "" : ","
            for (bound, count) in zip(h.bounds, h.counts) { out += "\(name)_bucket{\(labels)\(sep)le=\"\(number(bound))\"} \(count)\n" }
            out += "\(name)_bucket{\(labels)\(sep)le=\"+Inf\"} \(h.count)\n"
            let braces = labels.isEmpty ? "" : "{\(labels)}"
            out += "\(name)_sum\(braces) \(number(h.sum))\n\(name)_count\(braces) \(h.count)\n"
        }
        header("transformer_http_requests_total", "counter", "HTTP requests answered, by route and status.")
        for key in requests.keys.sorted() {
            out += "transformer_http_requests_total{route=\"\(key.route)\",status=\"\(key.status)\"} \(requests[key] ?? 0)\n"
        }
        header("transformer_http_request_duration_seconds", "histogram", "Time from a request's arrival to its response, by route.")
        for (route, h) in latency.sorted(by: { $0.key < $1.key }) { histogram("transformer_http_request_duration_seconds", "route=\"\(route)\"", h) }
        header("transformer_http_requests_in_flight", "gauge", "Requests being answered now.")
        out += "transformer_http_requests_in_flight \(inFlight)\n"
        header("transformer_batch_sentences", "histogram", "Sentences decoded together in one translation batch.")
        histogram("transformer_batch_sentences", "", batchSentences)
        header("transformer_queue_sentences", "gauge", "Sentences waiting to be decoded.")
        out += "transformer_queue_sentences \(queueLength)\n"
        header("transformer_generated_tokens_total", "counter", "Tokens generated (translations and generation streams).")
        out += "transformer_generated_tokens_total \(generatedTokens)\n"
        header("transformer_decoding_seconds_total", "counter", "Seconds spent decoding; rate(tokens)/rate(seconds) is the decoding speed.")
        out += "transformer_decoding_seconds_total \(number(decodingSeconds))\n"
        header("transformer_generated_tokens_per_second", "gauge", "Tokens per second of the last batch or stream.")
        out += "transformer_generated_tokens_per_second \(number(lastTokensPerSecond))\n"
        return out
    }

    private func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}
