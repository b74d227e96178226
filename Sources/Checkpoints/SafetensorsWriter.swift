// Writing safetensors files: deterministic layout identical to the Python library's,
// 8-byte header alignment, and atomic replacement of the target file.
import JSONText

/// A tensor to write: its name, dtype, shape and raw little-endian bytes.
public struct SafetensorsTensor: Sendable, Equatable {
    public var name: String
    public var dtype: SafetensorsDType
    public var shape: [Int]
    public var bytes: [UInt8]

    public init(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// The floating-point dtypes that Float32 values can be exported to.
    public enum FloatFormat: Sendable {
        case f32, f16, bf16

        var dtype: SafetensorsDType {
            switch self {
            case .f32: return .f32
            case .f16: return .f16
            case .bf16: return .bf16
            }
        }
    }

    /// Float32 values stored as F32, or rounded to nearest-even F16/BF16.
    public init(name: String, shape: [Int], floats: [Float], format: FloatFormat = .f32) {
        let bytes: [UInt8]
        switch format {
        case .f32: bytes = littleEndianBytes(floats.map(\.bitPattern))
        case .f16: bytes = littleEndianBytes(floats.map(HalfPrecision.f16Bits))
        case .bf16: bytes = littleEndianBytes(floats.map(HalfPrecision.bf16Bits))
        }
        self.init(name: name, dtype: format.dtype, shape: shape, bytes: bytes)
    }

    public init(name: String, shape: [Int], int64s: [Int64]) {
        self.init(name: name, dtype: .i64, shape: shape, bytes: littleEndianBytes(int64s))
    }

    public init(name: String, shape: [Int], int32s: [Int32]) {
        self.init(name: name, dtype: .i32, shape: shape, bytes: littleEndianBytes(int32s))
    }
}

private func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    var bytes = [UInt8]()
    bytes.reserveCapacity(values.count * MemoryLayout<T>.size)
    for value in values {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
    return bytes
}

public enum SafetensorsWriter {
    /// The file's bytes in memory (the same bytes `write` puts on disk).
    public static func serialize(_ tensors: [SafetensorsTensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        let (header, order) = try prepare(tensors, metadata: metadata, file: "<memory>")
        return order.reduce(into: header) { $0 += tensors[$1].bytes }
    }

    /// Writes `tensors` and `metadata` to `path`, atomically replacing any file there.
    ///
    /// Tensors are laid out as the Python `safetensors` library does (by descending dtype
    /// in its enum order, then by name), so the same tensors give the same bytes whatever
    /// order they are passed in; metadata keys are sorted. The header is padded with
    /// spaces to a multiple of 8 bytes so the data buffer starts 8-byte aligned.
    public static func write(_ tensors: [SafetensorsTensor], metadata: [String: String] = [:], to path: String) throws {
        let (header, order) = try prepare(tensors, metadata: metadata, file: path)
        try writeAtomically(to: path) { file in
            try header.withUnsafeBytes(file.writeAll)
            for i in order { try tensors[i].bytes.withUnsafeBytes(file.writeAll) }
        }
    }

    /// Validates the tensors and returns the 8-byte length plus padded JSON header, and the
    /// indices of `tensors` in the order their bytes follow it.
    static func prepare(
        _ tensors: [SafetensorsTensor], metadata: [String: String], file: String
    ) throws -> (header: [UInt8], order: [Int]) {
        var names = Set<String>()
        for tensor in tensors {
            guard tensor.name != "__metadata__" else {
                throw CheckpointError.invalidHeader(file: file, tensor: tensor.name, reason: "the name is reserved for metadata")
            }
            guard names.insert(tensor.name).inserted else { throw CheckpointError.duplicateName(file: file, tensor: tensor.name) }
            let shapeText = "\(tensor.shape)"
            if let axis = tensor.shape.firstIndex(where: { $0 < 0 }) {
                throw CheckpointError.invalidShape(file: file, tensor: tensor.name, reason: "dimension \(axis) of \(shapeText) is negative")
            }
            guard let count = elementCount(of: tensor.shape) else {
                throw CheckpointError.shapeOverflow(file: file, tensor: tensor.name, shape: shapeText)
            }
            let expected = try checkedByteCount(
                dtype: tensor.dtype, elementCount: count, tensor: tensor.name, shape: shapeText, file: file)
            guard expected == tensor.bytes.count else {
                throw CheckpointError.byteCountMismatch(file: file, tensor: tensor.name, expected: expected, actual: tensor.bytes.count)
            }
        }
        let order = tensors.indices.sorted { a, b in
            let (x, y) = (tensors[a], tensors[b])
            return x.dtype != y.dtype ? x.dtype > y.dtype : x.name.utf8.lexicographicallyPrecedes(y.name.utf8)
        }

        // Compact, metadata first and sorted by key, as the Python library writes it.
        var members: [(key: String, value: JSONValue)] = []
        if !metadata.isEmpty {
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            members.append(("__metadata__", .object(keys.map { ($0, .string(metadata[$0]!)) })))
        }
        var offset = 0
        for i in order {
            let tensor = tensors[i]
            members.append((tensor.name, .object([
                ("dtype", .string(tensor.dtype.rawValue)),
                ("shape", .array(tensor.shape.map { .integer($0) })),
                ("data_offsets", .array([.integer(offset), .integer(offset + tensor.bytes.count)])),
            ])))
            offset += tensor.bytes.count
        }
        var json: [UInt8] = []
        JSONValue.object(members).write(to: &json)
        json += repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
        return (littleEndianBytes([UInt64(json.count)]) + json, order)
    }
}
