// libFuzzer's driver around one fuzz target: FuzzHarness --target=NAME [libFuzzer flags] [DIR|FILE…].
// libFuzzer ignores flags that start with "--", so --target= stays on the command line that
// libFuzzer passes on to the processes it starts for -merge.
import CLibFuzzer
import Foundation
import FuzzTargets

/// The repository root, from this file's place in it (Fuzz/Sources/FuzzHarness/main.swift).
let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

guard let name = CommandLine.arguments.dropFirst().first(where: { $0.hasPrefix("--target=") })?.dropFirst("--target=".count) else {
    FileHandle.standardError.write(Data("usage: FuzzHarness --target=NAME [libFuzzer flags] [corpus…]; targets: \(FuzzTargets.names.joined(separator: " "))\n".utf8))
    exit(2)
}
let target: FuzzTarget
do { target = try FuzzTargets.make(String(name), repository: repository) } catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}

/// What libFuzzer calls with each input: a FuzzFailure becomes a crash, which libFuzzer records.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do { try target.run(bytes) } catch { fatalError("\(target.name): \(error)") }
    return 0
}

// SwiftPM gives the executable its own entry point, so libFuzzer's main() is not the one that runs.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
