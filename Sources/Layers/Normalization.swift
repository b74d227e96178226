// The "Norm" of Add & Norm: LayerNorm (the paper), y = (x − μ)/√(σ² + ε)·γ + β, or
// RMSNorm, y = x/√(mean(x²) + ε)·γ, over the model dimension; or, to compare, BatchNorm over the
// batch's tokens (BatchNorm.swift).

public enum NormKind: String, Codable, Sendable { case layerNorm = "layer_norm", rmsNorm = "rms_norm", batchNorm = "batch_norm" }

public final class LayerNorm: Module {
    public let weight: Tensor
    public let bias: Tensor
    public let eps: Float

    public init(_ dimension: Int, eps: Float = 1e-5) {
        weight = parameter([dimension], filledWith: 1)
        bias = parameter([dimension], filledWith: 0)
        self.eps = eps
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.layerNorm(weight: weight, bias: bias, eps: eps) }
}

public final class RMSNorm: Module {
    public let weight: Tensor
    public let eps: Float

    public init(_ dimension: Int, eps: Float = 1e-6) {
        weight = parameter([dimension], filledWith: 1)
        self.eps = eps
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.rmsNorm(weight: weight, eps: eps) }
}

/// Builds the configured norm as a callable module.
public func makeNorm(_ kind: NormKind, _ dimension: Int, eps: Float) -> Module & Normalizing {
    switch kind {
    case .layerNorm: return LayerNorm(dimension, eps: eps)
    case .rmsNorm: return RMSNorm(dimension, eps: eps)
    case .batchNorm: return BatchNorm(dimension, eps: eps)
    }
}

public protocol Normalizing: AnyObject { func callAsFunction(_ x: Tensor) -> Tensor }
extension LayerNorm: Normalizing {}
extension RMSNorm: Normalizing {}
