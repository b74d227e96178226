// `transformer serve`: one loaded model behind HTTP (Hummingbird on SwiftNIO). Translation goes
// through the batching scheduler; generation streams and embeddings run on threads of their own,
// a bounded number at once. Every route answers errors as JSON (APIError), is counted in /metrics,
// and SIGTERM (or SIGINT) stops the listener, finishes the requests in flight and returns.
import Foundation
import Generation
import Hummingbird
import JSONText
import Logging
import Models
import ServiceLifecycle
import UnixSignals

public final class ModelServer: @unchecked Sendable {
    public let bundle: ModelBundle
    public let settings: ServerSettings
    public let metrics = ServingMetrics()
    /// The translation batcher, for an encoder-decoder model.
    public let scheduler: TranslationScheduler?
    let languages: (source: String, target: String)
    private let streamLock = NSLock()
    private var streams = 0

    public init(bundle: ModelBundle, settings: ServerSettings) throws {
        if let problem = settings.problem() { throw APIError(.internalServerError, problem) }
        self.bundle = bundle
        self.settings = settings
        bundle.model.module.train(false)
        if case .encoderDecoder = bundle.model {
            scheduler = try TranslationScheduler(bundle: bundle, maxBatchTokens: settings.maxBatchTokens,
                                                 maxWait: .milliseconds(settings.maxWaitMilliseconds),
                                                 maxQueuedSentences: settings.maxQueuedSentences, metrics: metrics)
        } else {
            scheduler = nil
        }
        languages = ModelServer.languages(bundle.directory, settings)
    }

    /// Language codes from the settings, else the directory name's last two parts (`multi30k-de-en`,
    /// `opus-mt-de-en`), else "source" and "target".
    static func languages(_ directory: URL, _ settings: ServerSettings) -> (source: String, target: String) {
        let parts = directory.standardizedFileURL.lastPathComponent.split(separator: "-").map(String.init)
        let named = parts.count >= 3 && parts.suffix(2).allSatisfy { (2...3).contains($0.count) && $0.allSatisfy(\.isLetter) }
        return (settings.sourceLanguage ?? (named ? parts[parts.count - 2] : "source"),
                settings.targetLanguage ?? (named ? parts[parts.count - 1] : "target"))
    }

    // MARK: Running

    /// Serves until SIGTERM or SIGINT (or `shutdown` on the returned group's trigger), calling
    /// `onListening` with the port once the socket is bound; returns when the requests in flight
    /// have been answered.
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let (group, _) = makeServiceGroup(onListening: onListening, signals: [.sigterm, .sigint])
        try await group.run()
        scheduler?.drain()
    }

    /// The service group running the server, and the application inside it (tests trigger its shutdown).
    public func makeServiceGroup(onListening: @escaping @Sendable (Int) -> Void,
                                 signals: [UnixSignal]) -> (ServiceGroup, any Service) {
        var logger = Logger(label: "transformer-serve")
        logger.logLevel = .warning
        let app = Application(
            router: makeRouter(),
            server: .http1(configuration: .init(idleTimeout: .milliseconds(Int64(settings.idleTimeoutSeconds * 1000)))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "transformer-serve"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: signals, logger: logger))
        return (group, app)
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(ErrorsAsJSON(metrics: metrics))
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: ServerPage.html)))
        }
        router.get("/health") { [self] _, _ in JSONBody.response(.object([("status", .string("ok")), ("family", .string(bundle.config.family.rawValue))])) }
        router.get("/metrics") { [self] _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("/v1/model") { [self] _, _ in JSONBody.response(modelDescription()) }
        router.get("/languages") { [self] _, _ in try languagesResponse() }
        router.post("/translate") { [self] request, _ in try await libreTranslate(request) }
        router.post("/v1/translate") { [self] request, _ in try await translate(request) }
        router.post("/v1/generate") { [self] request, _ in try await generate(request) }
        router.post("/v1/embed") { [self] request, _ in try await embed(request) }
        return router
    }

    // MARK: Shared by the routes

    /// The model, or a 404 saying which family a route needs.
    func require(_ family: ModelFamily, for route: String) throws {
        guard bundle.config.family == family else {
            throw APIError(.notFound, "\(route) needs \(family == .encoderOnly ? "an" : "a") \(family.rawValue) model; this server runs \(bundle.config.family.rawValue) model '\(bundle.directory.lastPathComponent)'")
        }
    }

    /// Checks the number and length of `texts` against the limits (413).
    func checkTexts(_ texts: [String], field: String) throws {
        guard texts.count <= settings.maxTexts else {
            throw APIError.tooLarge("\"\(field)\" has \(texts.count) texts; at most \(settings.maxTexts) are accepted")
        }
        for (i, text) in texts.enumerated() where text.count > settings.maxTextCharacters {
            let which = texts.count > 1 ? "\"\(field)\"[\(i)]" : "\"\(field)\""
            throw APIError.tooLarge("\(which) has \(text.count) characters; at most \(settings.maxTextCharacters) are accepted")
        }
    }

    /// Takes one of the `maxStreams` slots for a generation or embedding, or throws 429.
    func takeStreamSlot() throws {
        streamLock.lock(); defer { streamLock.unlock() }
        guard streams < settings.maxStreams else {
            throw APIError(.tooManyRequests, "\(settings.maxStreams) generations are running; try again shortly", retryAfter: settings.retryAfterSeconds)
        }
        streams += 1
    }

    func releaseStreamSlot() { streamLock.lock(); streams -= 1; streamLock.unlock() }

    func modelDescription() -> JSONValue {
        let c = bundle.config
        var members: [(key: String, value: JSONValue)] = [
            ("directory", .string(bundle.directory.lastPathComponent)),
            ("family", .string(c.family.rawValue)),
            ("architecture", bundle.architecture.map { .string($0.rawValue) } ?? .string("transformer")),
            ("precision", .string(bundle.precision.rawValue)),
            ("parameters", .integer(bundle.model.module.parameterCount)),
            ("d_model", .integer(c.dModel)), ("heads", .integer(c.heads)), ("ff", .integer(c.ff)),
            ("encoder_layers", .integer(c.encoderLayers)), ("decoder_layers", .integer(c.decoderLayers)),
            ("source_vocabulary", .integer(c.srcVocab)), ("target_vocabulary", .integer(c.tgtVocab)),
            ("max_len", .integer(c.maxLen)), ("positional", .string(c.positional.rawValue)),
            ("attention", .string(c.attention.rawValue)),
        ]
        if c.family == .encoderDecoder {
            members.append(("languages", .object([("source", .string(languages.source)), ("target", .string(languages.target))])))
            members.append(("default_beam", .integer(bundle.translationDefaults.beamSize)))
        }
        members.append(("limits", .object([
            ("max_texts", .integer(settings.maxTexts)), ("max_text_characters", .integer(settings.maxTextCharacters)),
            ("max_input_tokens", .integer(settings.maxInputTokens)), ("max_beam", .integer(settings.maxBeam)),
            ("max_new_tokens", .integer(settings.maxNewTokens)), ("max_body_bytes", .integer(settings.maxBodyBytes)),
        ])))
        return .object(members)
    }
}

/// Runs blocking work (a model's forward passes) on a thread of its own, off the event loops and
/// the concurrency pool, whose few threads must stay free to read and write sockets.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// Turns every error into a JSON answer (APIError's own, Hummingbird's 404 and 405, anything
/// else a 500 that names no internals) and counts every request in the metrics.
struct ErrorsAsJSON: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServingMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        metrics.requestStarted()
        defer { metrics.requestEnded() }
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response
        } catch let error as HTTPError {
            let message = error.status == .notFound ? "no route \(request.method) \(request.uri.path)" : "\(error.status.reasonPhrase): \(request.method) \(request.uri.path)"
            response = APIError(error.status, message).response
        } catch SchedulerError.queueFull {
            response = APIError(.serviceUnavailable, "the translation queue is full; try again shortly", retryAfter: 1).response
        } catch SchedulerError.shuttingDown {
            response = APIError(.serviceUnavailable, "the server is shutting down", retryAfter: 5).response
        } catch {
            response = APIError(.internalServerError, "internal error: \(error)").response
        }
        let known = ["/", "/health", "/metrics", "/languages", "/translate", "/v1/translate", "/v1/generate", "/v1/embed", "/v1/model"]
        let route = known.contains(request.uri.path) ? request.uri.path : "other"
        metrics.recordRequest(route: route, status: Int(response.status.code), seconds: started.duration(to: .now).seconds)
        return response
    }
}
