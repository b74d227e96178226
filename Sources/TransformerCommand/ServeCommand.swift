// `transformer serve`: the HTTP server, which is its own executable (`transformer-serve`) so that
// building `transformer` does not build the HTTP stack (docs/SERVING.md has the measurement). This
// runs the one built beside this executable, with the same arguments.
import ArgumentParser
import Foundation

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over HTTP (runs transformer-serve from the same build directory; see its --help).",
        discussion: """
            Build it once with `swift build -c release --product transformer-serve`; then
            `transformer serve --model DIR --port 8080` (or `.build/release/transformer-serve …`).
            """,
        helpNames: [])

    @Argument(parsing: .captureForPassthrough, help: "Arguments for transformer-serve (--model, --port, --help, …).")
    var arguments: [String] = []

    func run() throws {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let executable = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() ?? here
        let server = executable.appendingPathComponent("transformer-serve").path
        guard FileManager.default.isExecutableFile(atPath: server) else {
            throw DecodingCommandError("""
                transformer-serve is not built beside \(executable.path): build it with \
                `swift build -c release --product transformer-serve` (then run `transformer serve …` again, or \
                `\(executable.path)/transformer-serve …`)
                """)
        }
        let argv = ([server] + arguments).map { strdup($0) } + [nil]
        execv(server, argv)
        throw DecodingCommandError("could not run \(server): \(String(cString: strerror(errno)))")
    }
}
