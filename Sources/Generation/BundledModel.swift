// The bundled models (how they were trained: docs/RESULTS.md): German→English
// (models/multi30k-de-en), used by `translate` and `evaluate` when no --model is given, and a
// character-level Tiny Shakespeare language model (models/shakespeare-char), used by `generate`
// (and by `transformer-serve`, which is why finding them is the library's).
import Foundation

public enum BundledModel {
    public static let relativePath = "models/multi30k-de-en"
    public static let languageModelPath = "models/shakespeare-char"

    /// The model directory: under the current directory, or under an ancestor of the executable
    /// (so `swift run` and `.build/release/transformer` find it from anywhere in the checkout).
    public static func locate(_ relativePath: String = relativePath) throws -> String {
        let fm = FileManager.default
        var candidates = [URL(fileURLWithPath: fm.currentDirectoryPath)]
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            var dir = executable.deletingLastPathComponent()
            for _ in 0..<5 {
                candidates.append(dir)
                dir = dir.deletingLastPathComponent()
            }
        }
        for base in candidates {
            let model = base.appendingPathComponent(relativePath)
            if fm.fileExists(atPath: model.appendingPathComponent("config.json").path) { return model.path }
        }
        throw ModelBundleError("no --model given and the bundled model \(relativePath) was not found under the current "
                                   + "directory or the executable's; pass --model DIR")
    }
}
