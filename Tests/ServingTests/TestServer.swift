// A ModelServer on an ephemeral port of 127.0.0.1 for the tests, running in the background with
// the bundled models (models/multi30k-de-en, models/shakespeare-char) and small limits.
import Foundation
import Generation
import Serving
import ServiceLifecycle

final class TestServer: @unchecked Sendable {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let translationModel = repository.appendingPathComponent("models/multi30k-de-en").path
    static let languageModel = repository.appendingPathComponent("models/shakespeare-char").path

    let server: ModelServer
    let port: Int
    private let group: ServiceGroup
    private let finished = DispatchSemaphore(value: 0)

    /// Limits small enough for the tests to reach.
    static var testSettings: ServerSettings {
        var s = ServerSettings()
        s.port = 0
        s.maxBodyBytes = 4096
        s.bodyTimeoutSeconds = 1
        s.maxTexts = 4
        s.maxTextCharacters = 300
        s.maxInputTokens = 64
        s.maxBeam = 8
        s.maxNewTokens = 4000
        return s
    }

    init(model: String, settings: ServerSettings = TestServer.testSettings) throws {
        server = try ModelServer(bundle: try ModelBundle(directory: model), settings: settings)
        let listening = DispatchSemaphore(value: 0)
        let portBox = PortBox()
        let (group, _) = server.makeServiceGroup(onListening: { port in portBox.port = port; listening.signal() }, signals: [])
        self.group = group
        let finished = self.finished
        Task.detached {
            do { try await group.run() } catch { print("test server stopped with \(error)") }
            finished.signal()
        }
        guard listening.wait(timeout: .now() + 60) == .success, portBox.port > 0 else { throw ClientError(description: "the test server did not start") }
        port = portBox.port
    }

    /// Graceful shutdown, as on SIGTERM; returns once the server has stopped.
    func stop() {
        let group = self.group
        Task.detached { await group.triggerGracefulShutdown() }
        _ = finished.wait(timeout: .now() + 60)
        server.scheduler?.drain()
    }

    private final class PortBox: @unchecked Sendable { var port = 0 }

    // Servers shared by the tests of a run, started on first use.
    private static let lock = NSLock()
    nonisolated(unsafe) private static var servers: [String: TestServer] = [:]

    static func shared(_ model: String) throws -> TestServer {
        lock.lock(); defer { lock.unlock() }
        if let s = servers[model] { return s }
        let s = try TestServer(model: model)
        servers[model] = s
        return s
    }
}
