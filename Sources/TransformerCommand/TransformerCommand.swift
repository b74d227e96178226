// The `transformer` command: a thin layer of subcommands over the library.
import ArgumentParser

@main
struct TransformerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transformer",
        abstract: "Build, train, decode with and measure Transformers (\"Attention Is All You Need\").",
        subcommands: [
            InspectCommand.self,
            ForwardCommand.self,
            TokenizerCommand.self,
            ScoreCommand.self,
            SafetensorsCommand.self,
            TrainCommand.self,
            ExportCommand.self,
            PlotCommand.self,
            AttentionCommand.self,
            PositionsCommand.self,
            ExperimentCommand.self,
            TranslateCommand.self,
            GenerateCommand.self,
            EmbedCommand.self,
            EvaluateCommand.self,
            ServeCommand.self,
            BenchCommand.self,
        ])
}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: each prints one JSON line per measured case.",
        subcommands: [
            BenchGemm.self,
            BenchOps.self,
            BenchTokenizer.self,
            BenchTrain.self,
            BenchLanguageModel.self,
            BenchDecode.self,
        ])
}
