// One tensor's elements inside a weight file (dtype, shape, strides, first byte), and their
// conversion to Float32 tensors or to integers. Safetensors tensors are contiguous; a
// torch.save tensor can be any strided view of its storage. Whoever builds one has checked
// that every element lies inside the file.
import TensorEngine

struct StoredTensor: Sendable {
    let name: String
    let dtype: SafetensorsDType
    let shape: [Int]
    /// The product of `shape`.
    let count: Int
    /// Element strides (non-negative).
    let strides: [Int]
    /// Where element [0, …, 0] starts in the file.
    let byteOffset: Int

    /// A contiguous tensor (safetensors' layout).
    init(name: String, dtype: SafetensorsDType, shape: [Int], count: Int, byteOffset: Int) {
        self.init(name: name, dtype: dtype, shape: shape, count: count, strides: rowMajorStrides(shape), byteOffset: byteOffset)
    }

    /// A strided view; the strides of axes of size 1 never move and are kept as 0, so that
    /// stepping along any axis stays within the bytes the view covers.
    init(name: String, dtype: SafetensorsDType, shape: [Int], count: Int, strides: [Int], byteOffset: Int) {
        (self.name, self.dtype, self.shape, self.count, self.byteOffset) = (name, dtype, shape, count, byteOffset)
        self.strides = zip(shape, strides).map { $0 == 1 ? 0 : $1 }
    }

    /// Row-major without gaps (strides of size-1 axes do not matter, as in torch's is_contiguous).
    var isContiguous: Bool {
        count == 0 || zip(zip(shape, strides), rowMajorStrides(shape)).allSatisfy { $0.0 == 1 || $0.1 == $1 }
    }

    /// Float32 values in a new tensor, or for contiguous, aligned F32 data a tensor viewing the
    /// file's bytes in place; checked against `expected` and for NaN and infinity.
    func floatTensor(in file: FileBytes, expected: [Int]?) throws -> Tensor {
        if let expected, shape != expected {
            throw CheckpointError.invalidShape(file: file.path, tensor: name, reason: "expected \(expected), found \(shape)")
        }
        let tensor: Tensor
        if dtype == .f32, isContiguous, byteOffset % 4 == 0, UInt32(1).littleEndian == 1 {
            tensor = Tensor(viewing: file.storage(at: byteOffset, byteCount: count * 4), shape: shape, dtype: .float32)
        } else {
            tensor = Tensor(uninitializedShape: shape)
            try convertFloats(in: file, into: tensor.data)
        }
        if let bad = firstNonFinite(UnsafeBufferPointer(start: tensor.data, count: count)) {
            var value = "\(tensor.data[bad])"
            if dtype == .f64 {
                let stored = Double(bitPattern: UInt64(littleEndian: UnsafeRawPointer(file.base).loadUnaligned(
                    fromByteOffset: byteOffset(ofElement: bad), as: UInt64.self)))
                if stored.isFinite { value += " in float32 (\(stored) as F64)" }
            }
            throw CheckpointError.nonFiniteValue(file: file.path, tensor: name, index: bad, value: value)
        }
        return tensor
    }

    /// Where the element at row-major index `i` starts.
    private func byteOffset(ofElement i: Int) -> Int {
        var (rest, offset) = (i, byteOffset)
        for axis in shape.indices.reversed() {
            offset += rest % shape[axis] * strides[axis] * (dtype.bitWidth / 8)
            rest /= shape[axis]
        }
        return offset
    }

    /// Float32 values in row-major order (F32, F16, BF16 exactly; F64 rounded to nearest).
    func floats(in file: FileBytes) throws -> [Float] {
        try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress { try convertFloats(in: file, into: base) }
            initialized = count
        }
    }

    private func convertFloats(in file: FileBytes, into out: UnsafeMutablePointer<Float>) throws {
        let bytes = UnsafeRawPointer(file.base)
        switch dtype {
        case .f32:
            forEachElement { i, at in out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
        case .f16:
            forEachElement { i, at in out[i] = HalfPrecision.float(f16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self))) }
        case .bf16:
            forEachElement { i, at in out[i] = HalfPrecision.float(bf16Bits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self))) }
        case .f64:
            forEachElement { i, at in out[i] = Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)))) }
        default:
            throw CheckpointError.unsupportedConversion(file: file.path, tensor: name, dtype: dtype, target: "Float")
        }
    }

    /// An integer or BOOL tensor's values, each of which must fit `Target` (BOOL bytes must be 0 or 1).
    func integers<Target: FixedWidthInteger>(in file: FileBytes, as target: Target.Type) throws -> [Target] {
        switch dtype {
        case .bool: return try exactly(in: file, UInt8.self, limit: 1)
        case .u8: return try exactly(in: file, UInt8.self)
        case .i8: return try exactly(in: file, Int8.self)
        case .u16: return try exactly(in: file, UInt16.self)
        case .i16: return try exactly(in: file, Int16.self)
        case .u32: return try exactly(in: file, UInt32.self)
        case .i32: return try exactly(in: file, Int32.self)
        case .u64: return try exactly(in: file, UInt64.self)
        case .i64: return try exactly(in: file, Int64.self)
        default: throw CheckpointError.unsupportedConversion(file: file.path, tensor: name, dtype: dtype, target: "\(Target.self)")
        }
    }

    private func exactly<Source: FixedWidthInteger, Target: FixedWidthInteger>(
        in file: FileBytes, _ source: Source.Type, limit: Source = .max
    ) throws -> [Target] {
        let bytes = UnsafeRawPointer(file.base)
        var values: [Target] = []
        values.reserveCapacity(count)
        try forEachElement { i, at in
            let value = Source(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Source.self))
            guard value <= limit, let converted = Target(exactly: value) else {
                throw CheckpointError.valueOutOfRange(
                    file: file.path, tensor: name, index: i, target: dtype == .bool ? "BOOL (0 or 1)" : "\(Target.self)")
            }
            values.append(converted)
        }
        return values
    }

    /// Calls `body(i, byteOffset)` for every element in row-major order.
    private func forEachElement(_ body: (Int, Int) throws -> Void) rethrows {
        guard count > 0 else { return }
        let size = dtype.bitWidth / 8
        if isContiguous {
            for i in 0..<count { try body(i, byteOffset + i * size) }
            return
        }
        // Not contiguous, so rank >= 1: walk the innermost axis, then carry into the outer ones.
        let rank = shape.count
        let (inner, innerStep) = (shape[rank - 1], strides[rank - 1] * size)
        var index = [Int](repeating: 0, count: rank - 1)
        var rowStart = byteOffset
        var i = 0
        while true {
            var at = rowStart
            for _ in 0..<inner {
                try body(i, at)
                i += 1
                at += innerStep
            }
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                rowStart += strides[axis] * size
                if index[axis] < shape[axis] { break }
                rowStart -= shape[axis] * strides[axis] * size
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }
}

/// The strides of a row-major contiguous tensor of `shape`, in elements.
func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var step = 1
    for axis in shape.indices.reversed() {
        strides[axis] = step
        step = step &* shape[axis]
    }
    return strides
}
