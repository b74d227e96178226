// Module: a layer is a class whose parameters are its `Tensor` properties and whose
// sublayers are its `Module` properties (also in arrays and optionals), as in MLX's MLXNN.
// Parameter names are property paths, e.g. `encoder.layers.0.selfAttention.query.weight`;
// they are the checkpoint keys.
@_exported import Autodiff

open class Module {
    /// Training mode turns dropout on; inference (`train(false)`) turns it off.
    public private(set) var training = true

    public init() {}

    /// Direct children by property name: parameters and submodules.
    private func children() -> [(String, Any)] {
        var out: [(String, Any)] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror {
            for child in m.children { if let label = child.label { out.append((label, child.value)) } }
            mirror = m.superclassMirror
        }
        return out
    }

    private static func unwrap(_ value: Any) -> Any? {
        let m = Mirror(reflecting: value)
        if m.displayStyle == .optional { return m.children.first.map { unwrap($0.value) } ?? nil }
        return value
    }

    /// Every parameter under this module, with its dotted path name, in declaration order.
    /// A tensor shared by two modules (tied embeddings) is listed once, under its first name.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = []
        var seen = Set<ObjectIdentifier>()
        visit(prefix: "") { name, value in
            if let t = value as? Tensor, seen.insert(ObjectIdentifier(t)).inserted { out.append((name, t)) }
        }
        return out
    }

    public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

    /// Every module under this one (itself included).
    public func modules() -> [Module] {
        var out: [Module] = [self]
        visit(prefix: "") { _, value in if let m = value as? Module { out.append(m) } }
        return out
    }

    private func visit(prefix: String, _ body: (String, Any) -> Void) {
        for (label, raw) in children() {
            guard let value = Module.unwrap(raw) else { continue }
            let name = prefix + label
            if let t = value as? Tensor {
                body(name, t)
            } else if let m = value as? Module {
                body(name, m)
                m.visit(prefix: name + ".", body)
            } else if let list = value as? [Module] {
                for (i, m) in list.enumerated() {
                    body("\(name).\(i)", m)
                    m.visit(prefix: "\(name).\(i).", body)
                }
            }
        }
    }

    /// Sets training mode on this module and every submodule. A module already in that mode is not
    /// written, so the decoders that put a shared, loaded model in inference mode (each `Translator`)
    /// only read it.
    public func train(_ on: Bool = true) { for m in modules() where m.training != on { m.training = on } }

    /// Sets the number format in which this module and every submodule compute when no gradient
    /// is recorded (decoding, `withNoGrad` forward passes): float32, bfloat16 or int8 weights.
    /// Passes that record gradients always compute in float32. With `releasingFloatWeights`, layers
    /// packed in bfloat16 or int8 keep only the packed copy (their float weights become meta tensors),
    /// so the model takes that much less memory but can no longer be trained or saved.
    public func setInferencePrecision(_ precision: InferencePrecision, releasingFloatWeights: Bool = false) {
        for m in modules() { m.adoptInferencePrecision(precision, releasingFloatWeights: releasingFloatWeights) }
    }

    /// What a layer holding weights does with a new inference precision (nothing by default).
    open func adoptInferencePrecision(_ precision: InferencePrecision, releasingFloatWeights: Bool) {}

    /// The weight this layer packs for inference in bfloat16 or int8 (one row per output or token),
    /// if it has one: linear layers and embedding tables.
    open var packableWeight: Tensor? { nil }

    /// Every layer under this module with a packable weight, by the identity of that weight.
    public func packableLayers() -> [ObjectIdentifier: Module] {
        var out: [ObjectIdentifier: Module] = [:]
        for m in modules() { if let w = m.packableWeight { out[ObjectIdentifier(w)] = m } }
        return out
    }

    /// Clears accumulated gradients.
    public func zeroGrad() { for p in parameters() { p.grad = nil } }

    /// Number of scalar parameters (BatchNorm's running averages, saved but never trained, are not counted).
    public var parameterCount: Int { parameters().filter(\.requiresGrad).reduce(0) { $0 + $1.count } }
}

/// A random stream shared by the dropout layers of one model, so one seed fixes every mask
/// and its state can be saved with a checkpoint.
public final class RandomSource {
    public var generator: RandomGenerator
    public init(seed: UInt64) { generator = RandomGenerator(seed: seed) }

    /// A stream that stands in for every source's while a data-parallel shard runs on a thread:
    /// each shard of a step draws its dropout masks from its own stream, never from a shared one.
    private final class Stream { var generator: RandomGenerator; init(_ g: RandomGenerator) { generator = g } }
    @TaskLocal private static var shardStream: Stream?

    /// Runs `body` with draws coming from `generator` instead of any source's own stream.
    public static func withStream<T>(_ generator: RandomGenerator, _ body: () throws -> T) rethrows -> T {
        try $shardStream.withValue(Stream(generator), operation: body)
    }

    /// Draws through `body` from this source's stream, or from the shard's when one is set.
    public func draw<T>(_ body: (inout RandomGenerator) -> T) -> T {
        if let stream = RandomSource.shardStream { return body(&stream.generator) }
        return body(&generator)
    }
}

/// A tensor a module keeps that is not a parameter (a precomputed table): it is neither
/// trained nor saved, because `namedParameters()` only collects `Tensor` properties.
public struct Buffer {
    public var tensor: Tensor
    public init(_ tensor: Tensor) { self.tensor = tensor }
}
