// What `transformer serve` is told on its command line: where to listen, how to batch, and the
// limits that keep one client from holding up the others (each a flag, with these defaults).

public struct ServerSettings: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); the port taken is reported when the server is up.
    public var port = 8080
    /// Source tokens decoded together in one translation batch.
    public var maxBatchTokens = 1024
    /// How long the first sentence of a batch waits for others (milliseconds).
    public var maxWaitMilliseconds = 5
    /// Sentences waiting to be decoded at most; past that, 503 with Retry-After.
    public var maxQueuedSentences = 1024
    /// Request bodies larger than this are refused (413).
    public var maxBodyBytes = 1 << 20
    /// A body must arrive within this many seconds (408).
    public var bodyTimeoutSeconds = 10.0
    /// A connection with no request (or an unfinished one) for this long is closed.
    public var idleTimeoutSeconds = 30.0
    /// Texts in one request at most (413).
    public var maxTexts = 128
    /// Characters in one text at most (413).
    public var maxTextCharacters = 5_000
    /// Tokens of one input at most (longer inputs: 413).
    public var maxInputTokens = 512
    /// Largest beam a request may ask for.
    public var maxBeam = 16
    /// Most new tokens a generation may ask for.
    public var maxNewTokens = 2_048
    /// Generation streams running at once; more get 429 with Retry-After.
    public var maxStreams = 4
    /// Seconds a client is told to wait in Retry-After.
    public var retryAfterSeconds = 1
    /// Language codes for LibreTranslate clients (nil: read from the model directory's name, e.g. `…-de-en`).
    public var sourceLanguage: String?
    public var targetLanguage: String?

    public init() {}

    /// A problem with the settings, said in terms of their flags; nil when they are usable.
    public func problem() -> String? {
        if !(0...65535).contains(port) { return "--port must be in 0...65535" }
        if maxBatchTokens < 1 { return "--max-batch-tokens must be at least 1" }
        if !(0...10_000).contains(maxWaitMilliseconds) { return "--max-wait-ms must be in 0...10000" }
        if maxQueuedSentences < 1 { return "--max-queue must be at least 1" }
        if maxBodyBytes < 1024 { return "--max-body-bytes must be at least 1024" }
        if !(bodyTimeoutSeconds > 0 && bodyTimeoutSeconds <= 3600) { return "--body-timeout must be in (0, 3600] seconds" }
        if !(idleTimeoutSeconds > 0 && idleTimeoutSeconds <= 3600) { return "--idle-timeout must be in (0, 3600] seconds" }
        if maxTexts < 1 { return "--max-texts must be at least 1" }
        if maxTextCharacters < 1 { return "--max-text-characters must be at least 1" }
        if !(2...1_000_000).contains(maxInputTokens) { return "--max-input-tokens must be in 2...1000000" }
        if !(1...1024).contains(maxBeam) { return "--max-beam must be in 1...1024" }
        if maxNewTokens < 1 { return "--max-new-tokens must be at least 1" }
        if maxStreams < 1 { return "--max-streams must be at least 1" }
        return nil
    }
}
