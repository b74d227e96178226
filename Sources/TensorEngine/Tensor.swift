// Tensor: an n-dimensional, row-major array of Float32 (or Int32 token ids) over shared storage.
// The element type is a `DType` so narrower storage (bf16) can be added later.

public enum DType: String, Codable, Sendable {
    case float32, int32
    public var byteSize: Int { 4 }
}

public final class Tensor {
    public let shape: [Int]
    public let dtype: DType
    public let storage: Storage
    public let count: Int

    /// Autodiff state: whether gradients flow to this tensor, its accumulated gradient (for
    /// leaves such as parameters), and the recorded op that produced it (opaque to the engine).
    public var requiresGrad = false
    public var grad: Tensor?
    public var gradNode: AnyObject?

    /// Counts in-place updates made through the library (optimizer steps, loads, `addInPlace`), so
    /// caches derived from the values (packed decoding weights) know when they are stale.
    public private(set) var version = 0

    /// Records an in-place change of the values; whoever writes through `data` calls this.
    public func markModified() { version &+= 1 }

    /// A tensor whose contents are undefined: kernels that overwrite every element use this.
    public init(uninitializedShape shape: [Int], dtype: DType = .float32) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        self.shape = shape
        self.dtype = dtype
        self.count = Shape.count(shape)
        self.storage = Storage(byteCount: count * dtype.byteSize)
    }

    /// A view of `storage` with another shape (same element count), e.g. for reshape.
    public init(viewing storage: Storage, shape: [Int], dtype: DType) {
        self.shape = shape
        self.dtype = dtype
        self.count = Shape.count(shape)
        precondition(count * dtype.byteSize <= storage.byteCount)
        self.storage = storage
    }

    /// A tensor with a shape and no values, as PyTorch's meta tensors: what a model's float weights
    /// become once packed for inference in bfloat16 or int8. Its shape still describes the model;
    /// reading its values stops with a message saying so.
    public init(metaShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        self.shape = shape
        dtype = .float32
        count = Shape.count(shape)
        storage = Storage(byteCount: 0)
    }

    /// False for a meta tensor (see `init(metaShape:)`).
    public var hasValues: Bool { storage.byteCount >= count * dtype.byteSize }

    /// The storage's bytes, checked to hold this tensor's values (kernels that move raw bits use this).
    public var valueBytes: UnsafeMutableRawPointer {
        precondition(hasValues, Tensor.metaMessage(shape))
        return storage.pointer
    }

    static func metaMessage(_ shape: [Int]) -> String {
        "Tensor: the values of this \(shape) tensor were released when the model was packed for bfloat16 or int8 "
            + "inference; load it in float32 (--precision f32) to train it, take gradients or save it"
    }

    public convenience init(zeros shape: [Int], dtype: DType = .float32) {
        self.init(uninitializedShape: shape, dtype: dtype)
        storage.pointer.initializeMemory(as: UInt8.self, repeating: 0, count: count * dtype.byteSize)
    }

    public convenience init(repeating value: Float, shape: [Int]) {
        self.init(uninitializedShape: shape)
        data.update(repeating: value, count: count)
    }

    public convenience init(_ values: [Float], shape: [Int]) {
        precondition(values.count == Shape.count(shape), "Tensor: \(values.count) values for shape \(shape)")
        self.init(uninitializedShape: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
    }

    public convenience init(_ values: [Float]) { self.init(values, shape: [values.count]) }

    public convenience init(scalar: Float) { self.init([scalar], shape: []) }

    public convenience init(ints values: [Int32], shape: [Int]) {
        precondition(values.count == Shape.count(shape), "Tensor: \(values.count) ids for shape \(shape)")
        self.init(uninitializedShape: shape, dtype: .int32)
        values.withUnsafeBufferPointer { intData.update(from: $0.baseAddress!, count: values.count) }
    }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(zeros: shape) }
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    /// Normal(0, std²) entries drawn from `generator`.
    public static func randn(_ shape: [Int], std: Float = 1, generator: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        for i in 0..<t.count { t.data[i] = generator.nextNormal() * std }
        return t
    }

    /// Uniform[low, high) entries drawn from `generator`.
    public static func uniform(_ shape: [Int], low: Float, high: Float, generator: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        for i in 0..<t.count { t.data[i] = low + (high - low) * generator.nextFloat() }
        return t
    }

    public var rank: Int { shape.count }

    /// Float32 elements. The pointer is valid while the tensor is alive.
    public var data: UnsafeMutablePointer<Float> {
        precondition(dtype == .float32, "Tensor: float data requested from a \(dtype) tensor")
        precondition(hasValues, Tensor.metaMessage(shape))
        return storage.pointer.assumingMemoryBound(to: Float.self)
    }

    /// Int32 elements (token ids). The pointer is valid while the tensor is alive.
    public var intData: UnsafeMutablePointer<Int32> {
        precondition(dtype == .int32, "Tensor: int data requested from a \(dtype) tensor")
        return storage.pointer.assumingMemoryBound(to: Int32.self)
    }

    public var scalars: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
    public var intScalars: [Int32] { Array(UnsafeBufferPointer(start: intData, count: count)) }

    /// The single element of a one-element tensor.
    public func item() -> Float {
        precondition(count == 1, "Tensor.item: tensor of shape \(shape) has \(count) elements")
        return data[0]
    }

    /// A copy with its own storage, outside any autodiff graph.
    public func copy() -> Tensor {
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        t.storage.pointer.copyMemory(from: valueBytes, byteCount: count * dtype.byteSize)
        return t
    }

    /// The same elements under a new shape, sharing storage (one dimension may be -1).
    public func view(_ newShape: [Int]) -> Tensor {
        let s = shapeChecked { try Shape.reshape(shape, to: newShape) }
        precondition(hasValues, Tensor.metaMessage(shape))
        return Tensor(viewing: storage, shape: s, dtype: dtype)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        guard hasValues else { return "Tensor(meta, shape: \(shape))" }
        let preview = dtype == .float32
            ? scalars.prefix(8).map { "\($0)" } : intScalars.prefix(8).map { "\($0)" }
        return "Tensor(\(dtype), shape: \(shape), [\(preview.joined(separator: ", "))\(count > 8 ? ", …" : "")])"
    }
}
