// `transformer train`: trains a model from a training config into a run directory (checkpoints,
// metrics, tokenizer, configs), or continues one with --resume.
import ArgumentParser
import Foundation
import Training

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model from a training config (see configs/).",
        discussion: """
            Examples:
              transformer train --config configs/multi30k-de-en.json
              transformer train --config configs/shakespeare-lm.json --out runs/shakespeare
              transformer train --out runs/shakespeare --resume
            Data paths in the config are relative to --data-dir. With --resume the run continues from \
            its latest checkpoint exactly as if it had never stopped; without --config it uses the run's \
            saved training.json.
            """)

    @Option(help: "Training config JSON.")
    var config: String?

    @Option(help: "Directory the config's data paths are relative to.")
    var dataDir = "../shared/data"

    @Option(help: "Run directory (default: runs/<config name>).")
    var out: String?

    @Flag(help: "Continue the run in --out from its latest checkpoint.")
    var resume = false

    @Option(help: "Threads for the tensor engine (default: TRANSFORMER_THREADS or all cores).")
    var threads: Int?

    func validate() throws {
        if config == nil && !(resume && out != nil) { throw ValidationError("give --config, or --out with --resume") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let started = Date()   // training.max_minutes counts the whole command, tokenizer training included
        if let threads { ThreadPool.shared.threadCount = threads }
        let outPath = out ?? "runs/" + URL(fileURLWithPath: config ?? "run").deletingPathExtension().lastPathComponent
        let run = RunDirectory(outPath)
        let trainingConfig = try config.map(TrainingConfig.load(from:)) ?? run.trainingConfig()
        guard FileManager.default.fileExists(atPath: dataDir) || trainingConfig.tokenizer.path?.hasPrefix("/") == true else {
            throw ValidationError("data directory \(dataDir) does not exist (set --data-dir)")
        }
        let progress = Progress(totalSteps: trainingConfig.training.maxSteps)
        let trainer = try TrainingSetup.makeTrainer(config: trainingConfig, dataDirectory: dataDir, run: run, resume: resume,
                                                    log: progress.message)
        trainer.progress = progress
        let c = trainer.config.model
        progress.message("model: \(c.family.rawValue), d_model \(c.dModel), \(c.encoderLayers)+\(c.decoderLayers) layers, "
                         + "vocab \(c.tgtVocab), \(trainer.model.module.parameterCount) parameters; run directory \(run.url.path)")
        try trainer.run(started: started)
        let index = try run.index()
        progress.message("done at step \(trainer.state.step) (\(trainer.state.skippedSteps) skipped); latest checkpoint "
                         + "\(index?.latest ?? "none")" + (index?.best.map { ", best \($0)" } ?? ""))
    }
}
