// Adam (Kingma & Ba) with decoupled weight decay (AdamW, Loshchilov & Hutter), as PyTorch
// computes it, for update t with gradient g:
//   p ← p · (1 − lr·λ)                 (matrices only; λ = weight decay)
//   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
//   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
// The paper uses β1 = 0.9, β2 = 0.98, ε = 1e-9. The moments are tensors (saved in checkpoints)
// and each parameter is updated in one fused pass over its flat buffers (C, `tk_adam`).
import CKernels
import Foundation
import Models

public final class Adam {
    public let parameters: [(name: String, tensor: Tensor)]
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    /// First and second moments, one pair per parameter, in `parameters` order.
    public private(set) var firstMoments: [Tensor]
    public private(set) var secondMoments: [Tensor]
    /// Updates taken so far (t of the bias corrections).
    public var step = 0

    public init(parameters: [(name: String, tensor: Tensor)], beta1: Float = 0.9, beta2: Float = 0.98,
                epsilon: Float = 1e-9, weightDecay: Float = 0) {
        self.parameters = parameters
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        firstMoments = parameters.map { Tensor(zeros: $0.tensor.shape) }
        secondMoments = parameters.map { Tensor(zeros: $0.tensor.shape) }
    }

    public convenience init(module: Module, settings: OptimizerSettings) {
        self.init(parameters: module.namedParameters(), beta1: settings.beta1, beta2: settings.beta2,
                  epsilon: settings.epsilon, weightDecay: settings.weightDecay)
    }

    /// One update with learning rate `lr` from the parameters' accumulated gradients
    /// (a parameter without a gradient is left alone, its moments too).
    public func update(learningRate lr: Float) {
        step += 1
        let t = Double(step)
        let stepSize = Float(Double(lr) / (1 - pow(Double(beta1), t)))
        let correction2 = Float((1 - pow(Double(beta2), t)).squareRoot())
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        for (k, (_, p)) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            let decay: Float = p.rank >= 2 ? 1 - lr * weightDecay : 1
            let w = p.data, g = grad.data, m = firstMoments[k].data, v = secondMoments[k].data
            Kernels.parallelElements(p.count, grain: 1 << 14) { r in
                let i = r.lowerBound
                tk_adam(w + i, g + i, m + i, v + i, r.count, b1, b2, eps, stepSize, correction2, decay)
            }
            p.markModified()
        }
    }

    /// Replaces the moments and step (from a checkpoint); shapes must match the parameters.
    public func restore(firstMoments m: [Tensor], secondMoments v: [Tensor], step: Int) throws {
        guard m.count == parameters.count, v.count == parameters.count else {
            throw TrainingError("optimizer state has \(m.count) moments for \(parameters.count) parameters")
        }
        for (k, (name, p)) in parameters.enumerated() where m[k].shape != p.shape || v[k].shape != p.shape {
            throw TrainingError("optimizer state for \(name) has shape \(m[k].shape), the parameter \(p.shape)")
        }
        firstMoments = m
        secondMoments = v
        self.step = step
    }
}
