import ArgumentParser
import TensorEngine

struct BenchGemm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gemm", abstract: "SGEMM throughput (placeholder).")
    func run() throws {}
}
