// The Protocol Buffers wire format (protobuf.dev/programming-guides/encoding), read by hand:
// a SentencePiece `.model` file is a serialized `ModelProto`, and we need about twenty of its
// fields. The swift-protobuf dependency (and its slow plugin build) would buy us nothing more.
// The reader is strict: every length is checked against the bytes that remain, so a corrupt
// file is an error, never a trap or a huge allocation.

/// How a field's value is encoded on the wire.
enum WireType: UInt8 {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5

    var name: String {
        switch self {
        case .varint: return "varint"
        case .fixed64: return "64-bit"
        case .lengthDelimited: return "length-delimited"
        case .startGroup, .endGroup: return "group"
        case .fixed32: return "32-bit"
        }
    }
}

/// What is wrong, and at which byte offset of the file.
struct ProtobufError: Error {
    let offset: Int
    let reason: String
}

/// Reads the fields of one message: `data[position..<end]`, nested messages as sub-readers.
struct ProtobufReader {
    private let data: [UInt8]
    private(set) var position: Int
    private let end: Int

    init(_ bytes: [UInt8]) {
        self.data = bytes
        position = 0
        end = bytes.count
    }

    private init(_ bytes: [UInt8], _ range: Range<Int>) {
        self.data = bytes
        position = range.lowerBound
        end = range.upperBound
    }

    private func fail(_ reason: String) -> ProtobufError { ProtobufError(offset: position, reason: reason) }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextField() throws(ProtobufError) -> (number: Int, wire: WireType)? {
        guard position < end else { return nil }
        let start = position
        let tag = try varint()
        guard let wire = WireType(rawValue: UInt8(tag & 7)) else {
            throw ProtobufError(offset: start, reason: "invalid wire type \(tag & 7)")
        }
        let number = tag >> 3
        guard number >= 1, number < 1 << 29 else { throw ProtobufError(offset: start, reason: "invalid field number \(number)") }
        return (Int(number), wire)
    }

    /// A base-128 varint of at most ten bytes.
    mutating func varint() throws(ProtobufError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw fail("varint runs past the end of the message") }
            let b = data[position]
            position += 1
            if shift == 63 && b > 1 { throw fail("varint longer than 64 bits") }
            value |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return value }
            shift += 7
        }
    }

    mutating func fixed32() throws(ProtobufError) -> UInt32 {
        guard end - position >= 4 else { throw fail("32-bit value runs past the end of the message") }
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(data[position + k]) << (8 * k) }
        position += 4
        return v
    }

    mutating func fixed64() throws(ProtobufError) -> UInt64 {
        guard end - position >= 8 else { throw fail("64-bit value runs past the end of the message") }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(data[position + k]) << (8 * k) }
        position += 8
        return v
    }

    /// The byte range of a length-delimited value.
    mutating func lengthDelimited() throws(ProtobufError) -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - position) else {
            throw fail("length \(length) runs past the end of the message (\(end - position) bytes left)")
        }
        let range = position..<position + Int(length)
        position = range.upperBound
        return range
    }

    /// Skips a field this reader does not know, as protobuf parsers do.
    mutating func skip(_ wire: WireType) throws(ProtobufError) {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup, .endGroup: throw fail("groups are not used by this format")
        }
    }

    // MARK: typed values of a known field, checking its wire type

    private func expect(_ wire: WireType, _ want: WireType, _ field: String) throws(ProtobufError) {
        guard wire == want else { throw fail("\(field) has wire type \(wire.name), expected \(want.name)") }
    }

    mutating func bool(_ wire: WireType, _ field: String) throws(ProtobufError) -> Bool {
        try expect(wire, .varint, field)
        return try varint() != 0
    }

    /// An `int32`: negative values are sign-extended ten-byte varints, so the low 32 bits count.
    mutating func int32(_ wire: WireType, _ field: String) throws(ProtobufError) -> Int32 {
        try expect(wire, .varint, field)
        return Int32(truncatingIfNeeded: try varint())
    }

    mutating func float(_ wire: WireType, _ field: String) throws(ProtobufError) -> Float {
        try expect(wire, .fixed32, field)
        return Float(bitPattern: try fixed32())
    }

    /// A `string` or `bytes` value as raw bytes (proto2 does not require strings to be UTF-8).
    mutating func bytes(_ wire: WireType, _ field: String) throws(ProtobufError) -> [UInt8] {
        try expect(wire, .lengthDelimited, field)
        return Array(data[try lengthDelimited()])
    }

    /// A nested message, read by the returned reader.
    mutating func message(_ wire: WireType, _ field: String) throws(ProtobufError) -> ProtobufReader {
        try expect(wire, .lengthDelimited, field)
        return ProtobufReader(data, try lengthDelimited())
    }
}
