// swift-tools-version:6.0
// The libFuzzer harness for every parser of outside input in swift-transformer (the targets of
// the main package's FuzzTargets): a package of its own, so that building or testing the main
// package never needs libFuzzer. Built and run by Fuzz/fuzz.sh (docs/RELIABILITY.md).
import PackageDescription

let package = Package(
    name: "swift-transformer-fuzz",
    dependencies: [.package(name: "swift-transformer", path: "..")],
    targets: [
        .target(name: "CLibFuzzer"),
        .executableTarget(
            name: "FuzzHarness",
            dependencies: ["CLibFuzzer", .product(name: "FuzzTargets", package: "swift-transformer")]),
    ],
    swiftLanguageModes: [.v5]
)
