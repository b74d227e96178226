// Shapes: validation, broadcasting (NumPy rules) and strides.

/// A shape problem, naming the op and the shapes involved.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    public let op: String
    public let message: String
    public init(_ op: String, _ message: String) { self.op = op; self.message = message }
    public var description: String { "\(op): \(message)" }
}

public enum Shape {
    public static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major strides, in elements.
    public static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
        return s
    }

    /// The broadcast shape of `a` and `b`, or an error naming `op` and both shapes.
    public static func broadcast(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else {
                throw ShapeError(op, "shapes \(a) and \(b) cannot be broadcast together")
            }
        }
        return out
    }

    /// Normalises a possibly negative axis for a tensor of `rank`.
    public static func axis(_ axis: Int, rank: Int, op: String) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < max(rank, 1) else { throw ShapeError(op, "axis \(axis) is out of range for rank \(rank)") }
        return a
    }

    /// Resolves a reshape target that may contain one -1.
    public static func reshape(_ from: [Int], to shape: [Int], op: String = "reshape") throws -> [Int] {
        let n = count(from)
        var out = shape
        let unknown = shape.indices.filter { shape[$0] == -1 }
        guard unknown.count <= 1, shape.allSatisfy({ $0 >= -1 }) else {
            throw ShapeError(op, "invalid target shape \(shape) for \(from)")
        }
        if let u = unknown.first {
            let known = shape.filter { $0 != -1 }.reduce(1, *)
            guard known > 0, n % known == 0 else { throw ShapeError(op, "cannot reshape \(from) to \(shape)") }
            out[u] = n / known
        }
        guard count(out) == n else { throw ShapeError(op, "cannot reshape \(from) (\(n) elements) to \(shape)") }
        return out
    }
}

/// Turns a shape error inside an op into a trap with its message. Ops are called by model code,
/// not with user data: inputs from files and the command line are validated before they get here.
@inline(__always)
public func shapeChecked<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch { fatalError("\(error)") }
}
