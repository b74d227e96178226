// Reading safetensors files: the validated header plus the data buffer, with typed
// accessors that convert stored elements to Float32 or integers.

/// A safetensors file read into memory and fully validated.
///
/// The data buffer is read with pread(2) rather than memory-mapped: a mapped file that
/// another process truncates or rewrites while we read kills the process with SIGBUS,
/// whereas a short read is an ordinary thrown error. The typed accessors copy (and
/// usually convert) elements anyway, so mapping would save one copy at best. Use
/// `SafetensorsHeader.read(path:)` to inspect a file without reading its data.
public struct SafetensorsFile: Sendable {
    /// The path the file was read from (or the name given to in-memory bytes), used in errors.
    public let path: String
    public let header: SafetensorsHeader
    /// The data buffer: every tensor's bytes, addressed by `SafetensorsEntry.byteRange`.
    public let data: [UInt8]

    public var entries: [SafetensorsEntry] { header.entries }
    public var metadata: [String: String] { header.metadata }

    public init(path: String) throws {
        let file = try FileDescriptor(readingFrom: path)
        let size = try file.size
        header = try SafetensorsHeader.read(from: file, fileSize: size)
        data = try file.read(count: header.dataLength, at: 8 + header.headerLength)
        self.path = path
    }

    /// Parses a whole file held in memory; `name` stands for the path in errors.
    public init(bytes: [UInt8], name: String = "<memory>") throws {
        header = try SafetensorsHeader.parse(fileBytes: bytes, file: name)
        data = Array(bytes[(8 + header.headerLength)...])
        path = name
    }

    public func entry(_ name: String) throws -> SafetensorsEntry {
        guard let entry = header.entry(named: name) else { throw CheckpointError.tensorNotFound(file: path, tensor: name) }
        return entry
    }

    /// The raw little-endian bytes of a tensor.
    public func bytes(_ name: String) throws -> ArraySlice<UInt8> {
        data[try entry(name).byteRange]
    }

    /// A floating-point tensor (F32, F16, BF16 or F64) as Float32 values in row-major order.
    /// F16 and BF16 convert exactly; F64 rounds to nearest.
    public func floats(_ name: String) throws -> [Float] {
        let entry = try entry(name)
        switch entry.dtype {
        case .f32: return decode(entry, UInt32.self) { _, bits in Float(bitPattern: bits) }
        case .f16: return decode(entry, UInt16.self) { _, bits in HalfPrecision.float(f16Bits: bits) }
        case .bf16: return decode(entry, UInt16.self) { _, bits in HalfPrecision.float(bf16Bits: bits) }
        case .f64: return decode(entry, UInt64.self) { _, bits in Float(Double(bitPattern: bits)) }
        default: throw CheckpointError.unsupportedConversion(file: path, tensor: name, dtype: entry.dtype, target: "Float")
        }
    }

    /// An integer or BOOL tensor as Int64 values; U64 elements above Int64.max throw.
    public func int64s(_ name: String) throws -> [Int64] {
        try integers(name, as: Int64.self)
    }

    /// An integer or BOOL tensor as Int32 values; elements outside Int32's range throw.
    public func int32s(_ name: String) throws -> [Int32] {
        try integers(name, as: Int32.self)
    }

    private func integers<Target: FixedWidthInteger>(_ name: String, as target: Target.Type) throws -> [Target] {
        let entry = try entry(name)
        switch entry.dtype {
        case .bool: return try exactly(entry, UInt8.self, limit: 1)
        case .u8: return try exactly(entry, UInt8.self)
        case .i8: return try exactly(entry, Int8.self)
        case .u16: return try exactly(entry, UInt16.self)
        case .i16: return try exactly(entry, Int16.self)
        case .u32: return try exactly(entry, UInt32.self)
        case .i32: return try exactly(entry, Int32.self)
        case .u64: return try exactly(entry, UInt64.self)
        case .i64: return try exactly(entry, Int64.self)
        default:
            throw CheckpointError.unsupportedConversion(file: path, tensor: name, dtype: entry.dtype, target: "\(Target.self)")
        }
    }

    /// Converts each stored `Source` element to `Target`, throwing on the first that does not
    /// fit (or exceeds `limit`: BOOL bytes must be 0 or 1).
    private func exactly<Source: FixedWidthInteger, Target: FixedWidthInteger>(
        _ entry: SafetensorsEntry, _ source: Source.Type, limit: Source = .max
    ) throws -> [Target] {
        try decode(entry, Source.self) { index, value in
            guard value <= limit, let converted = Target(exactly: value) else {
                throw CheckpointError.valueOutOfRange(
                    file: path, tensor: entry.name, index: index, target: entry.dtype == .bool ? "BOOL (0 or 1)" : "\(Target.self)")
            }
            return converted
        }
    }

    /// Loads each little-endian `Element` of a tensor (unaligned loads: the format does
    /// not promise alignment) and maps it through `transform`.
    private func decode<Element: FixedWidthInteger, Result>(
        _ entry: SafetensorsEntry, _ element: Element.Type, _ transform: (Int, Element) throws -> Result
    ) rethrows -> [Result] {
        try data.withUnsafeBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[entry.byteRange])
            let stride = MemoryLayout<Element>.size
            return try (0..<entry.elementCount).map { i in
                try transform(i, Element(littleEndian: bytes.loadUnaligned(fromByteOffset: i * stride, as: Element.self)))
            }
        }
    }
}
