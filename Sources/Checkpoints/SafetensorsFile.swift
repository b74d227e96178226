// Reading safetensors files: the validated header plus the file's bytes, memory-mapped, with
// typed accessors that convert stored elements to Float32 or integers.

/// A safetensors file, mapped into memory and fully validated.
///
/// `tensor(_:shape:)` returns contiguous, 4-byte-aligned F32 data without a copy: the tensor
/// views the mapping (privately: writes to it never reach the file), and keeps it alive. See
/// FileBytes.swift for the one risk mapping brings, a file truncated by another process while
/// it is mapped. Use `SafetensorsHeader.read(path:)` to inspect a file without mapping it.
public struct SafetensorsFile: Sendable {
    /// The path the file was read from (or the name given to in-memory bytes), used in errors.
    public let path: String
    public let header: SafetensorsHeader
    let file: FileBytes

    public var entries: [SafetensorsEntry] { header.entries }
    public var metadata: [String: String] { header.metadata }

    public init(path: String) throws {
        try self.init(file: FileBytes(mapping: path))
    }

    /// Parses a whole file held in memory (copied); `name` stands for the path in errors.
    public init(bytes: [UInt8], name: String = "<memory>") throws {
        try self.init(file: FileBytes(copying: bytes, name: name))
    }

    init(file: FileBytes) throws {
        header = try SafetensorsHeader.parse(fileBytes: file.bytes, file: file.path)
        path = file.path
        self.file = file
    }

    public func entry(_ name: String) throws -> SafetensorsEntry {
        guard let entry = header.entry(named: name) else { throw CheckpointError.tensorNotFound(file: path, tensor: name) }
        return entry
    }

    /// The raw little-endian bytes of a tensor (a copy).
    public func bytes(_ name: String) throws -> [UInt8] {
        let range = try entry(name).byteRange
        let start = 8 + header.headerLength
        return file[start + range.lowerBound..<start + range.upperBound]
    }

    /// A floating-point tensor (F32, F16, BF16 or F64) as Float32 values in row-major order.
    /// F16 and BF16 convert exactly; F64 rounds to nearest.
    public func floats(_ name: String) throws -> [Float] {
        try stored(name).floats(in: file)
    }

    /// An integer or BOOL tensor as Int64 values; U64 elements above Int64.max throw.
    public func int64s(_ name: String) throws -> [Int64] {
        try stored(name).integers(in: file, as: Int64.self)
    }

    /// An integer or BOOL tensor as Int32 values; elements outside Int32's range throw.
    public func int32s(_ name: String) throws -> [Int32] {
        try stored(name).integers(in: file, as: Int32.self)
    }

    /// Lowers resident memory by the pages of tensor `name` once its values live elsewhere: no
    /// tensor may view them, and nothing may have written to them (see FileBytes.releasePages).
    func releasePages(of name: String) throws {
        let range = try entry(name).byteRange, start = 8 + header.headerLength
        file.releasePages((start + range.lowerBound)..<(start + range.upperBound))
    }

    func stored(_ name: String) throws -> StoredTensor {
        let entry = try entry(name)
        return StoredTensor(
            name: name, dtype: entry.dtype, shape: entry.shape, count: entry.elementCount,
            byteOffset: 8 + header.headerLength + entry.byteRange.lowerBound)
    }
}
