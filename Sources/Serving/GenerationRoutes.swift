// POST /v1/generate (a decoder-only model's continuation of a prompt, streamed token by token as
// server-sent events, or as one JSON answer) and POST /v1/embed (an encoder-only model's sentence
// embeddings). Each runs on a thread of its own, at most `maxStreams` at once; a client that goes
// away stops its generation at the next token.
import Foundation
import Generation
import Hummingbird
import JSONText
import Models

/// Set by the side that writes to the client when it can no longer, read by the generating thread.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}

extension ModelServer {
    /// `prompt`, `max_tokens`, `temperature`, `top_k`, `top_p`, `seed`, `stream` (default true).
    func generate(_ request: Request) async throws -> Response {
        try require(.decoderOnly, for: "/v1/generate")
        var body = try await RequestReading.object(request, settings: settings)
        guard let prompt = try body.string("prompt") else { throw APIError.unprocessable("\"prompt\" is missing") }
        let defaults = bundle.samplingDefaults
        let maxTokens = try body.int("max_tokens", in: 1...settings.maxNewTokens) ?? min(256, settings.maxNewTokens)
        let temperature = try body.float("temperature", in: 0...100) ?? defaults.temperature
        let topK = try body.int("top_k", in: 1...max(1, bundle.config.tgtVocab)) ?? defaults.topK
        let topP = try body.float("top_p", in: 0...1) ?? defaults.topP
        let seed = try body.uint64("seed") ?? UInt64.random(in: 0...UInt64(UInt32.max))
        let stream = try body.bool("stream") ?? true
        try body.finish()
        if let topP, topP <= 0 { throw APIError.unprocessable("\"top_p\" must be greater than 0") }
        try checkTexts([prompt], field: "prompt")
        let (ids, original) = try bundle.promptIDs(prompt, limit: InputLengthLimit(maxTokens: settings.maxInputTokens))
        if let original { throw APIError.tooLarge("the prompt has \(original) tokens; at most \(settings.maxInputTokens) are accepted") }
        let model = try bundle.decoderOnly(for: "generation")
        let tokenizer = try bundle.requireTokenizer(for: "generation")
        let stopTokens = bundle.stopTokens
        let sampler = Sampler(temperature: temperature, topK: topK, topP: topP.flatMap { $0 < 1 ? $0 : nil }, seed: seed)
        let slidingWindow = bundle.config.positional == .learned
        let metrics = self.metrics
        try takeStreamSlot()

        /// Runs the generation, handing each piece of text to `emit`; returns the token count and
        /// why it stopped.
        let run: @Sendable (StopFlag, (String, Int32) -> Void) -> (tokens: Int, reason: String) = { stop, emit in
            let started = ContinuousClock.now
            var sampler = sampler
            var text = TextStream(tokenizer: tokenizer, prompt: ids)
            let out = LanguageModelGeneration.run(model: model, prompt: ids, maxNewTokens: maxTokens, sampler: &sampler,
                                                  stopTokens: stopTokens, slidingWindow: slidingWindow) { token in
                let piece = text.append(token)
                emit(piece, token)
                return !stop.isSet
            }
            let rest = text.finish()
            if !rest.isEmpty { emit(rest, -1) }
            metrics.recordBatch(sentences: 0, sourceTokens: ids.count, generatedTokens: out.count, seconds: started.duration(to: .now).seconds)
            return (out.count, stop.isSet ? "cancelled" : out.count >= maxTokens ? "length" : "stop")
        }

        guard stream else {
            defer { releaseStreamSlot() }
            let (generated, tokens, reason) = try await onThread { () -> (String, Int, String) in
                var pieces = ""
                let (tokens, reason) = run(StopFlag()) { piece, _ in pieces += piece }
                return (pieces, tokens, reason)
            }
            return JSONBody.response(.object([("text", .string(generated)), ("tokens", .integer(tokens)), ("finish_reason", .string(reason)), ("seed", .string(String(seed)))]))
        }

        let (events, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        let stop = StopFlag()
        let thread = Thread { [self] in
            let (tokens, reason) = run(stop) { piece, token in
                continuation.yield(ModelServer.event(nil, .object([("text", .string(piece)), ("token", token >= 0 ? .integer(token) : .null)])))
            }
            continuation.yield(ModelServer.event("done", .object([("tokens", .integer(tokens)), ("finish_reason", .string(reason)), ("seed", .string(String(seed)))])))
            continuation.finish()
            releaseStreamSlot()
        }
        thread.stackSize = 8 << 20
        thread.start()
        let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"]
        return Response(status: .ok, headers: headers, body: .init { writer in
            do {
                for await event in events { try await writer.write(ByteBuffer(string: event)) }
                try await writer.finish(nil)
            } catch {
                // The client went away: the generating thread stops at its next token.
                stop.set()
                throw error
            }
        })
    }

    /// One server-sent event: an optional event name, then the JSON data line.
    static func event(_ name: String?, _ data: JSONValue) -> String {
        var bytes: [UInt8] = []
        data.write(to: &bytes)
        return (name.map { "event: \($0)\n" } ?? "") + "data: " + String(decoding: bytes, as: UTF8.self) + "\n\n"
    }

    /// `input` (a string or a list): one embedding per text, pooled and normalised as the model's
    /// directory says (sentence-transformers' modules.json).
    func embed(_ request: Request) async throws -> Response {
        try require(.encoderOnly, for: "/v1/embed")
        var body = try await RequestReading.object(request, settings: settings)
        guard let (texts, _) = try body.texts("input") else { throw APIError.unprocessable("\"input\" is missing") }
        try body.finish()
        try checkTexts(texts, field: "input")
        let tokenizer = try bundle.requireTokenizer(for: "embed")
        for (i, text) in texts.enumerated() {
            let n = tokenizer.prefixIDs.count + tokenizer.encode(text).count + tokenizer.suffixIDs.count
            if n > settings.maxInputTokens {
                throw APIError.tooLarge("\(texts.count > 1 ? "input \(i)" : "the input") has \(n) tokens; at most \(settings.maxInputTokens) are accepted")
            }
        }
        let embeddingSettings: EmbeddingSettings
        do { embeddingSettings = try bundle.embeddingDefaults() } catch { throw APIError(.internalServerError, "\(error)") }
        try takeStreamSlot()
        defer { releaseStreamSlot() }
        let limit = InputLengthLimit(maxTokens: settings.maxInputTokens)
        let vectors = try await onThread { [bundle] in try bundle.embed(texts, settings: embeddingSettings, limit: limit) }
        return JSONBody.response(.object([
            ("embeddings", .array(vectors.map { v in .array(v.map { JSONBody.number($0) }) })),
            ("dimension", .integer(vectors.first?.count ?? bundle.config.dModel)),
            ("pooling", .string(embeddingSettings.pooling.rawValue)), ("normalized", .bool(embeddingSettings.normalize)),
        ]))
    }
}
