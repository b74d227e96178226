// Parameters and their first values: each layer draws its own (Xavier-uniform weights, normal
// embeddings, LayerNorm γ = 1 and β = 0; or GPT-2's scheme, see `WeightInitialization`), unless a checkpoint is about to supply every value.
// Then the model is built inside `Module.build(_:values:)`: no random number is drawn, and a
// weight stored as float32 is used where it lies in the checkpoint's memory-mapped file rather
// than copied over a random one (PyTorch's `skip_init` / meta device, transformers' `no_init_weights`).

/// How a new parameter is initialized.
public enum Initializer: Sendable {
    case normal(std: Float)
    case uniform(limit: Float)
    case constant(Float)
}

/// Where a model's weight matrices and embeddings start.
public enum WeightInitialization: Sendable, Equatable {
    /// Xavier-uniform matrices and N(0, 1/√d) token embeddings (the Annotated Transformer).
    case xavier
    /// GPT-2 (and nanoGPT): N(0, 0.02) for every matrix and embedding; the projections that add
    /// into the residual stream (attention output, the feed-forward's second layer) get
    /// N(0, 0.02/√(2·layers)), so the stream's variance does not grow with depth.
    case gpt2(layers: Int)

    /// A weight [out, in] that feeds the residual stream no more than any other.
    public func matrix(_ inFeatures: Int, _ outFeatures: Int) -> Initializer {
        switch self {
        case .xavier: return .uniform(limit: (6 / Float(inFeatures + outFeatures)).squareRoot())
        case .gpt2: return .normal(std: 0.02)
        }
    }

    /// A weight [out, in] whose output is added to the residual stream.
    public func residualMatrix(_ inFeatures: Int, _ outFeatures: Int) -> Initializer {
        switch self {
        case .xavier: return matrix(inFeatures, outFeatures)
        case .gpt2(let layers): return .normal(std: 0.02 / Float(2 * Swift.max(layers, 1)).squareRoot())
        }
    }

    /// A token embedding table of width `dimension`.
    public func embedding(_ dimension: Int) -> Initializer {
        switch self {
        case .xavier: return .normal(std: 1 / Float(dimension).squareRoot())
        case .gpt2: return .normal(std: 0.02)
        }
    }
}

/// A trainable parameter tensor of `shape`, initialized as `initializer` says (or taken from the
/// values being supplied, see `Module.build`).
public func parameter(_ shape: [Int], _ initializer: Initializer, generator: inout RandomGenerator) -> Tensor {
    if let supply = ParameterSupply.current { return parameter(supply.next(shape)) }
    switch initializer {
    case .normal(let std): return parameter(Tensor.randn(shape, std: std, generator: &generator))
    case .uniform(let limit): return parameter(Tensor.uniform(shape, low: -limit, high: limit, generator: &generator))
    case .constant(let value): return parameter(Tensor(repeating: value, shape: shape))
    }
}

/// A trainable parameter filled with `value` (norm gains and biases), or supplied.
public func parameter(_ shape: [Int], filledWith value: Float) -> Tensor {
    var unused = RandomGenerator(seed: 0)
    return parameter(shape, .constant(value), generator: &unused)
}

/// A tensor saved with the parameters but never trained (BatchNorm's running averages): filled
/// with `value`, or supplied like the parameters when a model is built for loading.
public func statistic(_ shape: [Int], filledWith value: Float) -> Tensor {
    let t = ParameterSupply.current?.next(shape) ?? Tensor(repeating: value, shape: shape)
    t.requiresGrad = false
    return t
}

/// Marks `t` as a trainable parameter.
public func parameter(_ t: Tensor) -> Tensor {
    t.requiresGrad = true
    return t
}

/// The tensors handed to `parameter(...)` while a model is built for loading: first fresh,
/// uninitialized ones (a skeleton whose parameter names and shapes the loader reads), then the
/// loader's tensors in the order the skeleton created them.
final class ParameterSupply: @unchecked Sendable {
    @TaskLocal static var current: ParameterSupply?

    private(set) var created: [Tensor] = []
    private let supplied: [Tensor]?
    private var index = 0

    init(supplied: [Tensor]? = nil) { self.supplied = supplied }

    func next(_ shape: [Int]) -> Tensor {
        guard let supplied else {
            let t = Tensor(uninitializedShape: shape)
            created.append(t)
            return t
        }
        // Building the same model twice creates the same parameters in the same order.
        precondition(index < supplied.count && supplied[index].shape == shape, "Module.build: the model created different parameters the second time")
        defer { index += 1 }
        return supplied[index]
    }

    var exhausted: Bool { index == supplied?.count }
}

extension Module {
    /// Builds what `make()` returns (`module` says where its parameters are) with parameter
    /// values from elsewhere. `values` receives every parameter by name with an uninitialized
    /// tensor of its shape; it fills each of them or returns, by name, a tensor of the same shape
    /// to use instead (a view of a mapped file). No random number is drawn and no parameter is
    /// written twice.
    public static func build<Built>(
        _ make: () throws -> Built, module: (Built) -> Module,
        values: ([(name: String, tensor: Tensor)]) throws -> [String: Tensor]
    ) throws -> Built {
        let skeleton = ParameterSupply()
        let first = try ParameterSupply.$current.withValue(skeleton, operation: make)
        let named = module(first).namedParameters()
        let replacements = try values(named)
        if replacements.isEmpty { return first }
        var byIdentity: [ObjectIdentifier: Tensor] = [:]
        for (name, t) in named {
            guard let r = replacements[name] else { continue }
            precondition(r.shape == t.shape && r.dtype == .float32, "Module.build: '\(name)' replaced by shape \(r.shape), expected \(t.shape)")
            byIdentity[ObjectIdentifier(t)] = r
        }
        let supply = ParameterSupply(supplied: skeleton.created.map { byIdentity[ObjectIdentifier($0)] ?? $0 })
        let built = try ParameterSupply.$current.withValue(supply, operation: make)
        precondition(supply.exhausted, "Module.build: the model created fewer parameters the second time")
        return built
    }

    /// What `make()` builds with every parameter uninitialized and never written (so never resident):
    /// a model's structure (parameter names and shapes, which layers pack) without its values.
    public static func skeleton<Built>(_ make: () throws -> Built) throws -> Built {
        try ParameterSupply.$current.withValue(ParameterSupply(), operation: make)
    }
}
