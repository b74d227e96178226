// `transformer plot loss RUN_DIR`: training and validation loss curves of a run as SVG.
import ArgumentParser
import Foundation
import Training

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw charts of a training run.",
        subcommands: [PlotLoss.self])
}

struct PlotLoss: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loss",
        abstract: "Training and validation loss against the step, from the run's metrics.jsonl, as SVG.")

    @Argument(help: "Training run directory.")
    var runDir: String

    @Option(help: "SVG file to write (default: RUN_DIR/loss.svg).")
    var out: String?

    func run() throws {
        let run = RunDirectory(runDir)
        let records = try MetricsLog.read(run.metricsPath)
        guard records.contains(where: { $0.kind == "train" || $0.kind == "valid" }) else {
            throw ValidationError("\(run.metricsPath) has no training or validation records yet")
        }
        let path = out ?? run.url.appendingPathComponent("loss.svg").path
        try AtomicFile.write(Data(SVGPlot.lossCurves(records, title: "loss — \(run.url.lastPathComponent)").utf8), to: path)
        print("wrote \(path)")
    }
}
