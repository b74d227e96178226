// The safetensors header: parsing and full validation of the JSON that describes
// the tensors, against the size of the data buffer that follows it.
//
// File layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON
// ({name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
// possibly padded with spaces), then the data buffer, which the tensors must
// cover exactly, without overlap or holes.
import JSONText

/// One tensor of a safetensors file, without its data.
public struct SafetensorsEntry: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// Where the tensor's bytes lie in the data buffer (offsets from the buffer's start).
    public let byteRange: Range<Int>
    /// The product of `shape` (1 for a scalar, shape []).
    public let elementCount: Int
}

/// The validated header of a safetensors file.
public struct SafetensorsHeader: Sendable {
    /// The largest header accepted, as in the reference implementation (100 MB).
    public static let maxHeaderLength = 100_000_000

    /// The tensors in the order their bytes appear in the data buffer.
    public let entries: [SafetensorsEntry]
    /// The free-form string map stored under "__metadata__" (empty when absent).
    public let metadata: [String: String]
    /// N: the JSON header's length in bytes, padding included.
    public let headerLength: Int
    /// The size of the data buffer, which starts at byte 8 + N of the file.
    public let dataLength: Int
    private let indexByName: [String: Int]

    public func entry(named name: String) -> SafetensorsEntry? {
        indexByName[name].map { entries[$0] }
    }

    /// Reads and validates only the header of the file at `path` (the data buffer is
    /// checked for size, not read): cheap even for multi-gigabyte files.
    public static func read(path: String) throws -> SafetensorsHeader {
        let file = try FileDescriptor(readingFrom: path)
        return try read(from: file, fileSize: try file.size)
    }

    static func read(from file: FileDescriptor, fileSize: Int) throws -> SafetensorsHeader {
        guard fileSize >= 8 else { throw CheckpointError.fileTooShort(file: file.path, size: fileSize) }
        let lengthBytes = try file.read(count: 8, at: 0)
        let length = declaredLength(lengthBytes)
        let headerLength = try checkedHeaderLength(length, fileSize: fileSize, file: file.path)
        let json = try file.read(count: headerLength, at: 8)
        return try SafetensorsHeader(json: json, dataLength: fileSize - 8 - headerLength, file: file.path)
    }

    /// Parses a header held in memory: `bytes` is the whole file.
    static func parse(fileBytes bytes: UnsafeRawBufferPointer, file: String) throws -> SafetensorsHeader {
        guard bytes.count >= 8 else { throw CheckpointError.fileTooShort(file: file, size: bytes.count) }
        let length = declaredLength(bytes[0..<8])
        let headerLength = try checkedHeaderLength(length, fileSize: bytes.count, file: file)
        return try SafetensorsHeader(
            json: Array(bytes[8..<8 + headerLength]), dataLength: bytes.count - 8 - headerLength, file: file)
    }

    private static func declaredLength(_ bytes: some Collection<UInt8>) -> UInt64 {
        bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static func checkedHeaderLength(_ length: UInt64, fileSize: Int, file: String) throws -> Int {
        guard length <= UInt64(maxHeaderLength), length <= UInt64(fileSize - 8) else {
            throw CheckpointError.invalidHeaderLength(file: file, headerLength: length, fileSize: fileSize)
        }
        return Int(length)
    }

    /// Validates the header JSON against a data buffer of `dataLength` bytes.
    init(json: [UInt8], dataLength: Int, file: String) throws {
        guard UTF8Validation.firstInvalidIndex(json) == nil else { throw CheckpointError.headerNotUTF8(file: file) }
        let root: JSONValue
        do throws(JSONParseError) {
            // Real headers nest three deep; the bound only keeps hostile input off the stack.
            root = try JSONValue.parse(json, maxDepth: 32)
        } catch {
            throw CheckpointError.headerNotJSON(file: file, offset: error.offset, reason: error.reason)
        }
        guard case .object(let members) = root else {
            throw CheckpointError.invalidHeader(file: file, tensor: nil, reason: "expected a JSON object, found \(root.kindName)")
        }
        var entries: [SafetensorsEntry] = []
        var metadata: [String: String]?
        var names = Set<String>()
        for (key, value) in members {
            if key == "__metadata__" {
                guard metadata == nil else {
                    throw CheckpointError.invalidHeader(file: file, tensor: nil, reason: "\"__metadata__\" appears more than once")
                }
                metadata = try Self.parseMetadata(value, file: file)
                continue
            }
            guard names.insert(key).inserted else { throw CheckpointError.duplicateName(file: file, tensor: key) }
            entries.append(try Self.parseEntry(name: key, value, dataLength: dataLength, file: file))
        }
        // Sort into buffer order; ties (zero-size tensors) by name, so the order is deterministic.
        entries.sort {
            ($0.byteRange.lowerBound, $0.byteRange.upperBound) < ($1.byteRange.lowerBound, $1.byteRange.upperBound)
                || ($0.byteRange == $1.byteRange && $0.name.utf8.lexicographicallyPrecedes($1.name.utf8))
        }
        var covered = 0
        for (i, entry) in entries.enumerated() {
            if entry.byteRange.lowerBound < covered {
                throw CheckpointError.overlappingTensors(file: file, tensor: entry.name, other: entries[i - 1].name)
            }
            if entry.byteRange.lowerBound > covered {
                throw CheckpointError.uncoveredBytes(file: file, begin: covered, end: entry.byteRange.lowerBound)
            }
            covered = entry.byteRange.upperBound
        }
        if covered != dataLength { throw CheckpointError.uncoveredBytes(file: file, begin: covered, end: dataLength) }

        self.entries = entries
        self.metadata = metadata ?? [:]
        self.headerLength = json.count
        self.dataLength = dataLength
        self.indexByName = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    private static func parseMetadata(_ value: JSONValue, file: String) throws -> [String: String] {
        guard case .object(let members) = value else {
            throw CheckpointError.invalidHeader(
                file: file, tensor: nil, reason: "\"__metadata__\" must be an object of strings, found \(value.kindName)")
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let text) = value else {
                throw CheckpointError.invalidHeader(
                    file: file, tensor: nil, reason: "metadata value for \"\(key)\" must be a string, found \(value.kindName)")
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw CheckpointError.invalidHeader(file: file, tensor: nil, reason: "metadata key \"\(key)\" appears more than once")
            }
        }
        return metadata
    }

    private static func parseEntry(name: String, _ value: JSONValue, dataLength: Int, file: String) throws -> SafetensorsEntry {
        func invalid(_ reason: String) -> CheckpointError {
            .invalidHeader(file: file, tensor: name, reason: reason)
        }
        guard case .object(let members) = value else {
            throw invalid("expected an object with dtype, shape and data_offsets, found \(value.kindName)")
        }
        // Unknown fields are ignored, as the reference implementation does.
        var fields: [String: JSONValue] = [:]
        for (key, value) in members where ["dtype", "shape", "data_offsets"].contains(key) {
            guard fields.updateValue(value, forKey: key) == nil else { throw invalid("field \"\(key)\" appears more than once") }
        }
        guard case .string(let dtypeName)? = fields["dtype"] else { throw invalid("\"dtype\" must be present and a string") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw CheckpointError.unknownDType(file: file, tensor: name, dtype: dtypeName)
        }
        guard case .array(let dims)? = fields["shape"] else { throw invalid("\"shape\" must be present and an array") }
        let shapeText = "[" + dims.map { if case .number(let t) = $0 { t } else { $0.kindName } }.joined(separator: ", ") + "]"
        var shape: [Int] = []
        for (axis, dim) in dims.enumerated() {
            switch dim.nonNegativeInteger {
            case .value(let n)?:
                guard n <= UInt64(Int.max) else { throw CheckpointError.shapeOverflow(file: file, tensor: name, shape: shapeText) }
                shape.append(Int(n))
            case .tooLarge?:
                throw CheckpointError.shapeOverflow(file: file, tensor: name, shape: shapeText)
            case .negative?:
                throw CheckpointError.invalidShape(file: file, tensor: name, reason: "dimension \(axis) of \(shapeText) is negative")
            case .notInteger?:
                throw CheckpointError.invalidShape(file: file, tensor: name, reason: "dimension \(axis) of \(shapeText) is not an integer")
            case nil:
                throw CheckpointError.invalidShape(file: file, tensor: name, reason: "dimension \(axis) is \(dim.kindName), not a number")
            }
        }
        guard let count = elementCount(of: shape) else {
            throw CheckpointError.shapeOverflow(file: file, tensor: name, shape: shapeText)
        }
        let byteCount = try checkedByteCount(dtype: dtype, elementCount: count, tensor: name, shape: shapeText, file: file)

        guard case .array(let offsets)? = fields["data_offsets"], offsets.count == 2,
              case .value(let begin)? = offsets[0].nonNegativeInteger,
              case .value(let end)? = offsets[1].nonNegativeInteger
        else { throw invalid("\"data_offsets\" must be an array of two non-negative integers") }
        guard begin <= end, end <= UInt64(dataLength) else {
            throw CheckpointError.invalidOffsets(file: file, tensor: name, begin: begin, end: end, bufferSize: dataLength)
        }
        let range = Int(begin)..<Int(end)
        guard range.count == byteCount else {
            throw CheckpointError.byteCountMismatch(file: file, tensor: name, expected: byteCount, actual: range.count)
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, byteRange: range, elementCount: count)
    }
}

/// The bytes that `elementCount` elements of `dtype` take, or the error naming why not.
func checkedByteCount(dtype: SafetensorsDType, elementCount: Int, tensor: String, shape: String, file: String) throws -> Int {
    let (bits, overflow) = elementCount.multipliedReportingOverflow(by: dtype.bitWidth)
    if overflow { throw CheckpointError.shapeOverflow(file: file, tensor: tensor, shape: shape) }
    guard bits % 8 == 0 else {
        throw CheckpointError.invalidShape(
            file: file, tensor: tensor, reason: "\(elementCount) elements of \(dtype.rawValue) do not fill whole bytes")
    }
    return bits / 8
}
