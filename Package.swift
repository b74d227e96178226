// swift-tools-version:6.1
// swift-transformer: the Transformer of "Attention Is All You Need" in Swift.
// Layers (see ../shared/DESIGN.md), each depending only on those above it:
//   CKernels (C SIMD micro-kernels) → TensorEngine → Autodiff → layers/models → CLI.
import PackageDescription

let package = Package(
    name: "swift-transformer",
    products: [
        .library(name: "TensorEngine", targets: ["TensorEngine"]),
        .library(name: "Autodiff", targets: ["Autodiff"]),
        .library(name: "Layers", targets: ["Layers"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Tokenization", targets: ["Tokenization"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Generation", targets: ["Generation"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Inspection", targets: ["Inspection"]),
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
        .library(name: "Serving", targets: ["Serving"]),
        .executable(name: "transformer", targets: ["TransformerCommand"]),
        // The HTTP server, its own product so that building `transformer` does not build the HTTP stack.
        .executable(name: "transformer-serve", targets: ["TransformerServe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Without its default traits: they add swift-configuration, which the server does not use.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    ],
    targets: [
        // SIMD kernels with run-time dispatch (AVX-512 / AVX2+FMA / generic); no flags needed.
        .target(name: "CKernels"),
        .target(name: "TensorEngine", dependencies: ["CKernels"]),
        .target(name: "Autodiff", dependencies: ["TensorEngine"]),
        .target(name: "Layers", dependencies: ["Autodiff"]),
        .target(name: "Models", dependencies: ["Layers"]),
        // The JSON reader/writer that Tokenization and Checkpoints share.
        .target(name: "JSONText"),
        .target(name: "Tokenization", dependencies: ["JSONText"]),
        .target(name: "Checkpoints", dependencies: ["Models", "JSONText"]),
        .target(name: "Evaluation"),
        // Search and sampling, and loading a model directory with its tokenizer for every front end.
        .target(name: "Generation", dependencies: ["Models", "Checkpoints", "Tokenization", "JSONText"]),
        .target(name: "Training", dependencies: ["Models", "Checkpoints", "Tokenization", "Evaluation", "Generation"]),
        // Seeing inside a model: attention maps, positional-encoding figures, and the claims of the
        // classic explanations as experiments that train and measure.
        .target(name: "Inspection", dependencies: ["Models", "Tokenization", "Evaluation", "Generation", "Training"]),
        // Each parser of outside input as a function of bytes: what the libFuzzer harnesses
        // (the Fuzz package) fuzz and FuzzTargetsTests replays from the committed corpora.
        .target(name: "FuzzTargets", dependencies: ["JSONText", "Checkpoints", "Tokenization", "Models", "Training"]),
        // The HTTP server: batching scheduler, routes, limits, metrics and the page (docs/SERVING.md).
        .target(name: "Serving", dependencies: [
            "Models", "Tokenization", "JSONText", "Generation", "Inspection",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .executableTarget(
            name: "TransformerServe",
            dependencies: ["Serving", "Generation", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "TransformerCommand",
            dependencies: [
                "TensorEngine", "Autodiff", "Layers", "Models", "Tokenization", "Checkpoints", "Evaluation", "Training", "Generation", "Inspection",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "TensorEngineTests", dependencies: ["TensorEngine"]),
        .testTarget(name: "AutodiffTests", dependencies: ["Autodiff"]),
        .testTarget(name: "LayersTests", dependencies: ["Layers"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models"]),
        .testTarget(name: "JSONTextTests", dependencies: ["JSONText"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization"], exclude: ["Fixtures"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints"], exclude: ["Fixtures"]),
        .testTarget(name: "ParityTests", dependencies: ["Checkpoints", "Models", "Generation", "Tokenization", "Training", "JSONText"], exclude: ["Fixtures"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation"], exclude: ["Fixtures"]),
        .testTarget(name: "GenerationTests", dependencies: ["Generation", "Checkpoints", "Tokenization"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training"]),
        .testTarget(name: "InspectionTests", dependencies: ["Inspection", "Generation", "Models", "Training", "Checkpoints"], exclude: ["Fixtures"]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"]),
        .testTarget(name: "ServingTests", dependencies: ["Serving", "Generation", "Models", "Inspection"]),
    ],
    swiftLanguageModes: [.v5]
)
