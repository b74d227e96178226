// Reverse-mode automatic differentiation. Each op run with gradients enabled records a node:
// its inputs and a closure mapping the output's gradient to the inputs' gradients.
// `backward()` walks the recorded graph from a scalar in reverse topological order and
// accumulates gradients into the leaves (parameters) that require them.
@_exported import TensorEngine

/// A recorded op: the tensors it read and how to send a gradient back to them.
final class GradNode {
    let op: String
    let inputs: [Tensor]
    let backward: (Tensor) -> [Tensor?]
    init(op: String, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
        self.op = op; self.inputs = inputs; self.backward = backward
    }
}

/// Whether ops record the graph. Inference runs with it off: nothing recorded, no activations kept.
/// The setting belongs to the calling thread (or task), so decoding on one thread never switches
/// recording off for training on another.
public enum GradMode {
    @TaskLocal private static var disabled = false

    public static var isEnabled: Bool { !disabled }

    /// Runs `body` without recording gradients.
    public static func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
        try $disabled.withValue(true, operation: body)
    }

    /// Runs `body` with recording on (e.g. inside an outer no-grad region).
    public static func withGrad<T>(_ body: () throws -> T) rethrows -> T {
        try $disabled.withValue(false, operation: body)
    }
}

public func withNoGrad<T>(_ body: () throws -> T) rethrows -> T { try GradMode.withNoGrad(body) }

extension Tensor {
    /// Records `self = op(inputs)` if any input needs a gradient, with `backward` mapping the
    /// gradient of `self` to the inputs' gradients (nil for none); returns `self`. Custom ops use this.
    @discardableResult
    public func recorded(_ op: String, _ inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        if GradMode.isEnabled && inputs.contains(where: { $0.requiresGrad }) {
            requiresGrad = true
            gradNode = GradNode(op: op, inputs: inputs, backward: backward)
        }
        return self
    }

    /// A leaf: no recorded history (e.g. a parameter or an input).
    public var isLeaf: Bool { gradNode == nil }

    /// The same values cut off from the graph.
    public func detached() -> Tensor { Tensor(viewing: storage, shape: shape, dtype: dtype) }

    /// Back-propagates from this tensor. Without `gradient` it must hold one element (a loss);
    /// leaves that require gradients get them added to `grad`, or to `sink` when one is given (so
    /// passes on several threads can share parameters). The graph is freed afterwards.
    public func backward(_ gradient: Tensor? = nil, into sink: LeafGradients? = nil) {
        precondition(gradient != nil || count == 1, "backward: needs a gradient for a non-scalar of shape \(shape)")
        guard requiresGrad else { return }
        // Reverse topological order by iterative depth-first search.
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded { order.append(t); continue }
            if !visited.insert(ObjectIdentifier(t)).inserted { continue }
            stack.append((t, true))
            if let node = t.gradNode as? GradNode {
                for input in node.inputs where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                    stack.append((input, false))
                }
            }
        }
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): gradient ?? Tensor(repeating: 1, shape: shape)]
        for t in order.reversed() {
            guard let g = grads.removeValue(forKey: ObjectIdentifier(t)) else { continue }
            if let node = t.gradNode as? GradNode {
                let inputGrads = node.backward(g)
                for (input, ig) in zip(node.inputs, inputGrads) where input.requiresGrad {
                    guard let ig else { continue }
                    precondition(ig.shape == input.shape, "backward of \(node.op): gradient \(ig.shape) for input \(input.shape)")
                    let key = ObjectIdentifier(input)
                    if let existing = grads[key] {
                        // A new tensor, not in place: a backward may hand the same tensor to two inputs.
                        grads[key] = Kernels.binary(existing, ig, .add)
                    } else {
                        grads[key] = ig
                    }
                }
                // Free the graph as we go; the tensor keeps its value but no longer tracks gradients.
                t.gradNode = nil
                t.requiresGrad = false
            } else if let sink {
                sink.add(g, for: t)
            } else if let existing = t.grad {
                Kernels.addInPlace(existing, g)
            } else {
                t.grad = g.copy()
            }
        }
    }
}

/// Gradients of leaves collected apart from their `grad`: one pass's share of an update whose
/// passes run at the same time (data-parallel shards), summed afterwards in a fixed order.
public final class LeafGradients {
    private var gradients: [ObjectIdentifier: (leaf: Tensor, gradient: Tensor)] = [:]

    public init() {}

    func add(_ g: Tensor, for leaf: Tensor) {
        if let existing = gradients[ObjectIdentifier(leaf)] {
            Kernels.addInPlace(existing.gradient, g)
        } else {
            gradients[ObjectIdentifier(leaf)] = (leaf, g.copy())
        }
    }

    /// Adds every collected gradient to its leaf's `grad`.
    public func addToLeaves() {
        for (leaf, g) in gradients.values {
            if let existing = leaf.grad { Kernels.addInPlace(existing, g) } else { leaf.grad = g }
        }
    }
}
