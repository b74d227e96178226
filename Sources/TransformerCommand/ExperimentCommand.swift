// `transformer experiment`: the claims of the classic explanations as runnable experiments
// (docs/EXPERIMENTS.md): figures (SVG) and numbers (JSON) into a directory, and a conclusion.
import ArgumentParser
import Foundation
import Generation
import Inspection

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Run an experiment that tests a claim about the Transformer (`transformer experiment list`).",
        discussion: """
            Each experiment computes or trains what it needs from a fixed seed, writes its figures (SVG) and \
            NAME.json (the claim, the conclusion, whether it held, the numbers) into --out, and prints its conclusion. \
            --quick runs a reduced version in under a minute. Experiments that read data look under --data-dir \
            (default ../shared/data); those that decode use the bundled model unless --model is given.
            Example:
              transformer experiment scaled-attention --out experiments/
            """)

    @Argument(help: "The experiment's name, or `list`.")
    var name: String

    @Option(help: "Directory for the figures and numbers.")
    var out = "experiments"

    @Flag(help: "A reduced version that runs in under a minute.")
    var quick = false

    @Option(help: "Data directory (multi30k/, tinyshakespeare/).")
    var dataDir = "../shared/data"

    @Option(help: "Model directory for the experiments that decode (default: the bundled model).")
    var model: String?

    func run() throws {
        if name == "list" {
            for e in Experiments.all { print("\(e.name)\n    \(e.claim)") }
            return
        }
        let experiment = try Experiments.named(name)
        let modelDirectory = try model ?? BundledModel.locate()
        let context = ExperimentContext(directory: URL(fileURLWithPath: out), quick: quick,
                                        dataDirectory: URL(fileURLWithPath: dataDir), modelDirectory: URL(fileURLWithPath: modelDirectory),
                                        log: { FileHandle.standardError.write(Data("\($0)\n".utf8)) })
        let result = try Experiments.run(experiment, context)
        print(result.conclusion)
        print("held: \(result.held.map { $0 ? "yes" : "no" } ?? "undecided")")
        print("wrote " + (result.figures + ["\(experiment.name).json"]).map { URL(fileURLWithPath: out).appendingPathComponent($0).path }.joined(separator: ", "))
    }
}
