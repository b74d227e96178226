// Elementwise kernels: binary ops with broadcasting, scalar ops, and unary activations,
// each forward beside the backward it needs. Loops are specialised per op (generic over a
// caseless enum), so the compiler vectorises the contiguous ones. Activations that need exp, log,
// tanh or erf run in the C row kernels, which have vectorised versions of those functions.
import CKernels

/// Raw computations on tensors, outside autodiff. Autodiff's ops call these.
public enum Kernels {}

public protocol BinaryFunction { static func apply(_ a: Float, _ b: Float) -> Float }
public enum AddFunction: BinaryFunction { @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
public enum SubFunction: BinaryFunction { @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
public enum MulFunction: BinaryFunction { @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
public enum DivFunction: BinaryFunction { @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a / b } }

public enum BinaryOp: String, Sendable { case add, sub, mul, div }

extension Kernels {
    public static func binary(_ a: Tensor, _ b: Tensor, _ op: BinaryOp) -> Tensor {
        if a.shape == b.shape {   // no broadcasting: one contiguous run, vectorised in C
            let out = Tensor(uninitializedShape: a.shape)
            let pa = a.data, pb = b.data, po = out.data
            let code = Int32(op == .add ? TK_ADD : op == .sub ? TK_SUB : op == .mul ? TK_MUL : TK_DIV)
            parallelElements(a.count) { r in tk_binary(code, pa + r.lowerBound, pb + r.lowerBound, po + r.lowerBound, r.count) }
            return out
        }
        switch op {
        case .add: return binary(a, b, AddFunction.self, name: "add")
        case .sub: return binary(a, b, SubFunction.self, name: "sub")
        case .mul: return binary(a, b, MulFunction.self, name: "mul")
        case .div: return binary(a, b, DivFunction.self, name: "div")
        }
    }

    @inline(__always)
    static func binary<F: BinaryFunction>(_ a: Tensor, _ b: Tensor, _: F.Type, name: String) -> Tensor {
        let plan = BroadcastPlan(a.shape, b.shape, op: name)
        let out = Tensor(uninitializedShape: plan.outShape)
        let pa = a.data, pb = b.data, po = out.data
        plan.forEachRun { o, ao, bo, n, sa, sb in
            let x = pa + ao, y = pb + bo, z = po + o
            if sa == 1 && sb == 1 {
                for i in 0..<n { z[i] = F.apply(x[i], y[i]) }
            } else if sa == 1 {
                let yv = y[0]
                for i in 0..<n { z[i] = F.apply(x[i], yv) }
            } else if sb == 1 {
                let xv = x[0]
                for i in 0..<n { z[i] = F.apply(xv, y[i]) }
            } else {
                for i in 0..<n { z[i] = F.apply(x[i * sa], y[i * sb]) }
            }
        }
        return out
    }

    /// `a·s + t` for scalars s and t (scalar add, scale, negate in one kernel).
    public static func affine(_ a: Tensor, scale s: Float, shift t: Float) -> Tensor {
        let out = Tensor(uninitializedShape: a.shape)
        let x = a.data, z = out.data
        parallelElements(a.count) { r in for i in r { z[i] = x[i] * s + t } }
        return out
    }

    /// Runs `body` over `0..<count` in chunks, in parallel when the work is large.
    @inline(__always)
    public static func parallelElements(_ count: Int, grain: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
        if count >= 2 * grain { ThreadPool.shared.parallelRanges(count, grain: grain, body) } else { body(0..<count) }
    }

    /// In place: `a += b` (same shape). Gradient accumulation uses this.
    public static func addInPlace(_ a: Tensor, _ b: Tensor) {
        precondition(a.shape == b.shape, "addInPlace: shapes \(a.shape) and \(b.shape) differ")
        let x = a.data, y = b.data
        parallelElements(a.count) { r in for i in r { x[i] += y[i] } }
        a.markModified()
    }
}

// MARK: Unary activations: y = f(x), dx = dy · f'(x)

public enum UnaryOp: String, Sendable {
    case exp, log, sqrt, tanh, relu, gelu, geluTanh, silu, sigmoid, neg
}

extension Kernels {
    public static func unary(_ x: Tensor, _ op: UnaryOp) -> Tensor {
        let out = Tensor(uninitializedShape: x.shape)
        let p = x.data, q = out.data
        parallelElements(x.count, grain: op == .relu || op == .neg ? 1 << 15 : 1 << 12) { r in
            let n = r.count, src = p + r.lowerBound, dst = q + r.lowerBound
            switch op {
            case .exp: tk_unary(Int32(TK_EXP), src, dst, n)
            case .log: tk_unary(Int32(TK_LOG), src, dst, n)
            case .tanh: tk_unary(Int32(TK_TANH), src, dst, n)
            case .gelu: tk_unary(Int32(TK_GELU), src, dst, n)
            case .geluTanh: tk_unary(Int32(TK_GELU_TANH), src, dst, n)
            case .silu: tk_unary(Int32(TK_SILU), src, dst, n)
            case .sigmoid: tk_unary(Int32(TK_SIGMOID), src, dst, n)
            case .sqrt: for i in 0..<n { dst[i] = src[i].squareRoot() }
            case .relu: tk_unary(Int32(TK_RELU), src, dst, n)
            case .neg: for i in 0..<n { dst[i] = -src[i] }
            }
        }
        return out
    }

    /// dx for `y = op(x)` given dy; uses whichever of x and y the derivative needs.
    public static func unaryBackward(_ op: UnaryOp, x: Tensor, y: Tensor, dy: Tensor) -> Tensor {
        let dx = Tensor(uninitializedShape: x.shape)
        let px = x.data, py = y.data, g = dy.data, d = dx.data
        parallelElements(x.count, grain: 1 << 12) { r in
            switch op {
            case .exp: for i in r { d[i] = g[i] * py[i] }
            case .log: for i in r { d[i] = g[i] / px[i] }
            case .sqrt: for i in r { d[i] = g[i] * 0.5 / py[i] }
            case .tanh: for i in r { d[i] = g[i] * (1 - py[i] * py[i]) }
            case .relu: tk_unary_backward(Int32(TK_RELU), px + r.lowerBound, g + r.lowerBound, d + r.lowerBound, r.count)
            case .gelu: tk_unary_backward(Int32(TK_GELU), px + r.lowerBound, g + r.lowerBound, d + r.lowerBound, r.count)
            case .geluTanh: tk_unary_backward(Int32(TK_GELU_TANH), px + r.lowerBound, g + r.lowerBound, d + r.lowerBound, r.count)
            case .silu: tk_unary_backward(Int32(TK_SILU), px + r.lowerBound, g + r.lowerBound, d + r.lowerBound, r.count)
            case .sigmoid: for i in r { d[i] = g[i] * py[i] * (1 - py[i]) }
            case .neg: for i in r { d[i] = -g[i] }
            }
        }
        return dx
    }
}
