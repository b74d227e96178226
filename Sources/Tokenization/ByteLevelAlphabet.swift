/// GPT-2's reversible map from bytes to printable characters: byte-level BPE works on
/// these characters, so every input is representable and no token is ever unknown.
/// Printable Latin-1 bytes map to themselves; the other 68 bytes (controls, space,
/// 0x7F-0xA0, 0xAD) map to U+0100... in byte order, so a space becomes "Ġ" (U+0120).
enum ByteLevelAlphabet {
    /// The character's scalar value for each byte.
    static let scalarOfByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// The byte for each scalar value below 324, or -1 where the scalar is not in the alphabet.
    static let byteOfScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for b in 0..<256 { table[Int(scalarOfByte[b])] = Int16(b) }
        return table
    }()

    /// UTF-8 of each byte's character (the token string of the one-byte token).
    static let utf8OfByte: [[UInt8]] = scalarOfByte.map { Array(String(Character(Unicode.Scalar($0)!)).utf8) }

    /// The 256 bytes ordered by their characters' code points, the order Hugging Face's trainer gives them ids.
    static let bytesInTokenOrder: [Int] = (0..<256).sorted { scalarOfByte[$0] < scalarOfByte[$1] }

    /// The UTF-8 of the characters standing for `bytes`.
    static func map(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] { bytes.flatMap { utf8OfByte[Int($0)] } }

    /// The bytes a byte-level token string stands for, or nil if a character is outside the alphabet.
    static func bytes(ofToken token: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.count)
        var ok = true
        UTF8Scalars.forEach(token[...]) { scalar, _ in
            let v = Int(scalar)
            if v < byteOfScalar.count, byteOfScalar[v] >= 0 { out.append(UInt8(byteOfScalar[v])) } else { ok = false }
        }
        return ok ? out : nil
    }
}
