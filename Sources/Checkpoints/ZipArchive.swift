// The zip container of torch.save (PKWARE APPNOTE 6.3): the end-of-central-directory record
// (zip64 when an archive passes 4 GiB or 65535 entries), the central directory, and each
// entry's local header. Only stored (uncompressed) entries are read, as torch.save writes
// them; their bytes are then views of the file, with no copy and no inflating.

/// The records of a zip archive: each name with the range of its bytes in the file.
struct ZipArchive {
    struct Entry {
        let name: String
        let range: Range<Int>
    }

    /// In central-directory order.
    let entries: [Entry]

    private static let endSignature: UInt32 = 0x0605_4B50
    private static let end64Signature: UInt32 = 0x0606_4B50
    private static let end64LocatorSignature: UInt32 = 0x0706_4B50
    private static let centralSignature: UInt32 = 0x0201_4B50
    private static let localSignature: UInt32 = 0x0403_4B50

    init(_ file: FileBytes) throws {
        let reader = ByteReader(file.bytes)
        func fail(_ reason: String) -> CheckpointError { .invalidArchive(file: file.path, reason: reason) }

        // The end record is 22 bytes plus a comment of at most 65535; it is the last one whose
        // comment runs exactly to the end of the file.
        let size = file.count
        guard size >= 22 else { throw fail("\(size) bytes is too short for a zip archive") }
        var endAt: Int?
        for at in stride(from: size - 22, through: max(0, size - 22 - 0xFFFF), by: -1)
        where reader.u32(at) == Self.endSignature && at + 22 + Int(reader.u16(at + 20)) == size {
            endAt = at
            break
        }
        guard let endAt else { throw fail("no end-of-central-directory record (not a zip archive, or truncated)") }
        guard reader.u16(endAt + 4) == 0, reader.u16(endAt + 6) == 0 else { throw fail("multi-disk archives are not supported") }
        var count = UInt64(reader.u16(endAt + 10))
        var directorySize = UInt64(reader.u32(endAt + 12))
        var directoryOffset = UInt64(reader.u32(endAt + 16))
        var directoryEnd = endAt
        if endAt >= 20, reader.u32(endAt - 20) == Self.end64LocatorSignature {
            // The locator (20 bytes) points back at the zip64 end record (56 bytes and up).
            let at64 = reader.u64(endAt - 20 + 8)
            guard endAt >= 76, at64 <= UInt64(endAt - 76), reader.u32(Int(at64)) == Self.end64Signature else {
                throw fail("zip64 end-of-central-directory record missing or misplaced")
            }
            let at = Int(at64)
            count = reader.u64(at + 32)
            directorySize = reader.u64(at + 40)
            directoryOffset = reader.u64(at + 48)
            directoryEnd = at
        }
        // Every central entry takes at least 46 bytes, which bounds the count by the file size.
        guard directoryOffset <= UInt64(directoryEnd), directorySize <= UInt64(directoryEnd) - directoryOffset,
              count <= directorySize / 46
        else { throw fail("central directory (\(count) entries, \(directorySize) bytes at \(directoryOffset)) does not fit the file") }

        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        var names = Set<String>()
        var at = Int(directoryOffset)
        let limit = Int(directoryOffset + directorySize)
        for index in 0..<Int(count) {
            guard at + 46 <= limit, reader.u32(at) == Self.centralSignature else {
                throw fail("central directory entry \(index) at byte \(at) is malformed")
            }
            let flags = reader.u16(at + 8), method = reader.u16(at + 10)
            var compressed = UInt64(reader.u32(at + 20)), uncompressed = UInt64(reader.u32(at + 24))
            let nameLength = Int(reader.u16(at + 28)), extraLength = Int(reader.u16(at + 30)), commentLength = Int(reader.u16(at + 32))
            var localOffset = UInt64(reader.u32(at + 42))
            let next = at + 46 + nameLength + extraLength + commentLength
            guard next <= limit else { throw fail("central directory entry \(index) runs past the directory") }
            guard let name = reader.utf8(at + 46, count: nameLength) else { throw fail("entry \(index): name is not UTF-8") }
            guard names.insert(name).inserted else { throw fail("entry '\(name)' appears more than once") }
            guard flags & 1 == 0 else { throw fail("entry '\(name)' is encrypted") }
            guard method == 0 else { throw CheckpointError.compressedEntry(file: file.path, entry: name, method: Int(method)) }

            // Zip64: the fields set to 0xFFFFFFFF follow, in this order, in extra field 0x0001.
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || localOffset == 0xFFFF_FFFF {
                guard var field = reader.extraField(0x0001, in: at + 46 + nameLength, count: extraLength) else {
                    throw fail("entry '\(name)': zip64 sizes missing")
                }
                func next64() throws -> UInt64 {
                    guard field.count >= 8 else { throw fail("entry '\(name)': zip64 extra field too short") }
                    defer { field = field.dropFirst(8) }
                    return reader.u64(field.lowerBound)
                }
                if uncompressed == 0xFFFF_FFFF { uncompressed = try next64() }
                if compressed == 0xFFFF_FFFF { compressed = try next64() }
                if localOffset == 0xFFFF_FFFF { localOffset = try next64() }
            }
            guard compressed == uncompressed else { throw fail("stored entry '\(name)' has two different sizes") }

            // The local header repeats the name; its extra field (torch pads with one) may differ.
            guard localOffset <= directoryOffset, directoryOffset - localOffset >= 30 else {
                throw fail("entry '\(name)': local header offset \(localOffset) is outside the archive")
            }
            let local = Int(localOffset)
            guard reader.u32(local) == Self.localSignature, Int(reader.u16(local + 26)) == nameLength,
                  local + 30 + nameLength <= Int(directoryOffset), reader.utf8(local + 30, count: nameLength) == name
            else { throw fail("entry '\(name)': local header at byte \(local) does not match the central directory") }
            let dataStart = UInt64(local + 30 + nameLength + Int(reader.u16(local + 28)))
            guard dataStart <= directoryOffset, uncompressed <= directoryOffset - dataStart else {
                throw fail("entry '\(name)': \(uncompressed) bytes at \(dataStart) run into the central directory or past the file")
            }
            entries.append(Entry(name: name, range: Int(dataStart)..<Int(dataStart + uncompressed)))
            at = next
        }
        self.entries = entries
    }
}

/// Little-endian reads at byte offsets; callers check bounds first (reads past the end give zero
/// instead of trapping, so a check that was missed still cannot crash).
struct ByteReader {
    let bytes: UnsafeRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func u16(_ at: Int) -> UInt16 { load(at, UInt16.self) }
    func u32(_ at: Int) -> UInt32 { load(at, UInt32.self) }
    func u64(_ at: Int) -> UInt64 { load(at, UInt64.self) }

    private func load<T: FixedWidthInteger>(_ at: Int, _ type: T.Type) -> T {
        guard at >= 0, at <= bytes.count - MemoryLayout<T>.size else { return 0 }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self))
    }

    /// The `count` bytes at `at` as a UTF-8 string, or nil when they are not valid UTF-8 or out of bounds.
    func utf8(_ at: Int, count: Int) -> String? {
        guard at >= 0, count >= 0, at <= bytes.count - count else { return nil }
        return String(validating: UnsafeRawBufferPointer(rebasing: bytes[at..<at + count]), as: UTF8.self)
    }

    /// The data range of the extra field `id` within the extra block at `at`.
    func extraField(_ id: UInt16, in at: Int, count: Int) -> Range<Int>? {
        var p = at
        while p + 4 <= at + count {
            let size = Int(u16(p + 2))
            guard p + 4 + size <= at + count else { return nil }
            if u16(p) == id { return p + 4..<p + 4 + size }
            p += 4 + size
        }
        return nil
    }
}
