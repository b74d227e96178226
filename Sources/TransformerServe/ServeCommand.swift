// `transformer-serve` (also run as `transformer serve`): loads a model directory and serves it over
// HTTP until SIGTERM or SIGINT, then finishes the requests in flight and exits 0 (docs/SERVING.md).
import ArgumentParser
import Foundation
import Generation
import Models
import Serving

@main
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transformer-serve",
        abstract: "Serve a model over HTTP: LibreTranslate's /translate, /v1/translate, /v1/generate, /v1/embed, a page at /.",
        discussion: """
            MODEL is any model directory the other commands take (default: the bundled German→English model, \
            models/multi30k-de-en). Translation requests that arrive together are decoded together, up to \
            --max-batch-tokens source tokens, waiting at most --max-wait-ms for a batch to fill. It listens on \
            127.0.0.1 unless --host says otherwise. SIGTERM or SIGINT: stop listening, finish what is in flight, exit 0.
            Example:
              transformer-serve --model models/multi30k-de-en --port 8080
              curl -s localhost:8080/translate -H 'Content-Type: application/json' -d '{"q": "Zwei Hunde spielen im Schnee.", "source": "de", "target": "en"}'
            """)

    @Option(help: "Model directory (default: the bundled German→English model).")
    var model: String?

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port, printed when listening).")
    var port = 8080

    @Option(help: "Weights' number format: f32, bf16 or int8 (default: as stored).")
    var precision: String?

    @Option(help: "Source tokens decoded together in one translation batch.")
    var maxBatchTokens = ServerSettings().maxBatchTokens

    @Option(help: "Milliseconds the first sentence of a batch waits for others.")
    var maxWaitMs = ServerSettings().maxWaitMilliseconds

    @Option(help: "Sentences waiting at most; more get 503 with Retry-After.")
    var maxQueue = ServerSettings().maxQueuedSentences

    @Option(help: "Largest request body in bytes (413 past it).")
    var maxBodyBytes = ServerSettings().maxBodyBytes

    @Option(help: "Seconds a request body may take to arrive (408 past it).")
    var bodyTimeout = ServerSettings().bodyTimeoutSeconds

    @Option(help: "Seconds an idle or unfinished connection is kept.")
    var idleTimeout = ServerSettings().idleTimeoutSeconds

    @Option(help: "Texts per request at most (413 past it).")
    var maxTexts = ServerSettings().maxTexts

    @Option(help: "Characters per text at most (413 past it).")
    var maxTextCharacters = ServerSettings().maxTextCharacters

    @Option(help: "Tokens per input at most (413 past it).")
    var maxInputTokens = ServerSettings().maxInputTokens

    @Option(help: "Largest beam a request may ask for.")
    var maxBeam = ServerSettings().maxBeam

    @Option(help: "Most new tokens one generation may ask for.")
    var maxNewTokens = ServerSettings().maxNewTokens

    @Option(help: "Generations and embedding requests running at once (429 past it).")
    var maxStreams = ServerSettings().maxStreams

    @Option(help: "Source language code for LibreTranslate clients (default: from the directory name, e.g. …-de-en).")
    var sourceLanguage: String?

    @Option(help: "Target language code for LibreTranslate clients.")
    var targetLanguage: String?

    @Option(help: "Threads (default: TRANSFORMER_THREADS or the core count).")
    var threads: Int?

    var settings: ServerSettings {
        var s = ServerSettings()
        s.host = host
        s.port = port
        s.maxBatchTokens = maxBatchTokens
        s.maxWaitMilliseconds = maxWaitMs
        s.maxQueuedSentences = maxQueue
        s.maxBodyBytes = maxBodyBytes
        s.bodyTimeoutSeconds = bodyTimeout
        s.idleTimeoutSeconds = idleTimeout
        s.maxTexts = maxTexts
        s.maxTextCharacters = maxTextCharacters
        s.maxInputTokens = maxInputTokens
        s.maxBeam = maxBeam
        s.maxNewTokens = maxNewTokens
        s.maxStreams = maxStreams
        s.sourceLanguage = sourceLanguage
        s.targetLanguage = targetLanguage
        return s
    }

    func validate() throws {
        if let problem = settings.problem() { throw ValidationError(problem) }
        if let precision, InferencePrecision(rawValue: precision) == nil { throw ValidationError("--precision must be f32, bf16 or int8") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
    }

    func run() async throws {
        if let threads { ThreadPool.shared.threadCount = threads }
        let directory = try model ?? BundledModel.locate()
        let bundle = try ModelBundle(directory: directory, precision: precision.flatMap(InferencePrecision.init(rawValue:)))
        for w in bundle.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
        let server = try ModelServer(bundle: bundle, settings: settings)
        let host = self.host
        try await server.run { port in
            print("transformer-serve: \(bundle.config.family.rawValue) model '\(directory)' on http://\(host):\(port)/")
            fflush(stdout)
        }
        print("transformer-serve: stopped")
    }
}
