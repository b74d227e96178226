// An experiment tests one claim of the classic explanations of the Transformer: it computes or
// trains what it needs from a fixed seed, writes its figures (SVG) and numbers (JSON) into a
// directory, and states whether the claim held. `--quick` runs a reduced version in under a minute.
import Foundation
import Training

/// Where an experiment writes and how big it runs.
public struct ExperimentContext {
    public let directory: URL
    public let quick: Bool
    /// The data directory (../shared/data: multi30k/, tinyshakespeare/), for experiments that read data.
    public let dataDirectory: URL?
    /// The bundled model directory, for experiments that decode with it.
    public let modelDirectory: URL?
    /// Progress lines for the user.
    public let log: (String) -> Void

    public init(directory: URL, quick: Bool, dataDirectory: URL? = nil, modelDirectory: URL? = nil, log: @escaping (String) -> Void = { _ in }) {
        self.directory = directory
        self.quick = quick
        self.dataDirectory = dataDirectory
        self.modelDirectory = modelDirectory
        self.log = log
    }

    /// Writes an SVG figure `name` into the directory; returns its file name.
    @discardableResult
    public func figure(_ name: String, _ svg: String) throws -> String {
        try AtomicFile.write(Data(svg.utf8), to: directory.appendingPathComponent(name).path)
        return name
    }

    /// A data file under the data directory, or an error saying where it was looked for.
    public func dataFile(_ relative: String) throws -> URL {
        guard let dataDirectory else { throw ExperimentError("this experiment reads \(relative): pass --data-dir DIR (default ../shared/data)") }
        let url = dataDirectory.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else { throw ExperimentError("\(url.path) does not exist: pass --data-dir DIR") }
        return url
    }
}

public struct ExperimentError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What an experiment found: the conclusion in words, whether the claim held (nil: not a yes/no
/// claim, or not decided by this run), its numbers, and the figures it wrote.
public struct ExperimentResult {
    public var conclusion: String
    public var held: Bool?
    public var numbers: [String: ExperimentValue]
    public var figures: [String]

    public init(conclusion: String, held: Bool?, numbers: [String: ExperimentValue], figures: [String]) {
        self.conclusion = conclusion
        self.held = held
        self.numbers = numbers
        self.figures = figures
    }
}

/// A JSON value for an experiment's numbers.
public indirect enum ExperimentValue: Encodable, Equatable {
    case number(Double)
    case text(String)
    case list([ExperimentValue])
    case object([String: ExperimentValue])

    public static func numbers(_ values: [Double]) -> ExperimentValue { .list(values.map { .number($0) }) }
    public static func integers(_ values: [Int]) -> ExperimentValue { .list(values.map { .number(Double($0)) }) }

    public func encode(to encoder: Swift.Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        // Non-finite values (a diverged run) are written as text: JSON has no NaN.
        case .number(let v): if v.isFinite { try c.encode(v) } else { try c.encode(String(v)) }
        case .text(let s): try c.encode(s)
        case .list(let l): try c.encode(l)
        case .object(let o): try c.encode(o)
        }
    }
}

public protocol Experiment {
    /// The command-line name, e.g. "scaled-attention".
    var name: String { get }
    /// The claim, as the explanations state it.
    var claim: String { get }
    func run(_ context: ExperimentContext) throws -> ExperimentResult
}

public enum Experiments {
    /// Every experiment, in the order of docs/EXPERIMENTS.md.
    public static let all: [Experiment] = [
        SinusoidalPositionsExperiment(),
        PositionLengthExperiment(),
        ScaledAttentionExperiment(),
        NormKindExperiment(),
        NormPlacementExperiment(),
        ResidualConnectionsExperiment(),
        CacheQualityExperiment(),
        ExposureBiasExperiment(),
        WhenToStopExperiment(),
        ParallelDecodingExperiment(),
        DecodingSearchExperiment(),
    ]

    public static func named(_ name: String) throws -> Experiment {
        guard let e = all.first(where: { $0.name == name }) else {
            throw ExperimentError("no experiment '\(name)'; there are: " + all.map(\.name).joined(separator: ", "))
        }
        return e
    }

    /// Runs `experiment` into the context's directory and writes NAME.json there: the claim, the
    /// conclusion, whether it held, the run's size, and the numbers.
    public static func run(_ experiment: Experiment, _ context: ExperimentContext) throws -> ExperimentResult {
        try FileManager.default.createDirectory(at: context.directory, withIntermediateDirectories: true)
        let started = Date()
        let result = try experiment.run(context)
        let document: [String: ExperimentValue] = [
            "experiment": .text(experiment.name), "claim": .text(experiment.claim), "conclusion": .text(result.conclusion),
            "held": .text(result.held.map { $0 ? "yes" : "no" } ?? "undecided"), "quick": .text(context.quick ? "yes" : "no"),
            "seconds": .number((Date().timeIntervalSince(started) * 10).rounded() / 10),
            "figures": .list(result.figures.map { .text($0) }), "numbers": .object(result.numbers),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(document), to: context.directory.appendingPathComponent("\(experiment.name).json").path)
        return result
    }
}

/// The median of `repeats` timings of `body`, in seconds (the machine is noisy: never one run).
func medianSeconds(repeats: Int, _ body: () -> Void) -> Double {
    var times: [Double] = []
    for _ in 0..<max(1, repeats) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    return times[times.count / 2]
}
