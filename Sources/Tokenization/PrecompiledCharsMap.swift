// SentencePiece's precompiled character map (`precompiled_charsmap` of a NormalizerSpec, e.g.
// `nmt_nfkc`): `<u32 trie size><Darts-clone double array><NUL-terminated replacement strings>`.
// The trie maps UTF-8 byte strings to offsets of their replacements in the string pool.
// SentencePiece's normalizer takes the longest key that prefixes the input; Hugging Face's
// `Precompiled` normalizer takes the first (shortest) key that prefixes a grapheme. Both are here.
import Foundation

/// A validated charsmap: every node the trie can reach lies inside it, every replacement is a
/// NUL-terminated string inside the pool.
public struct PrecompiledCharsMap: Equatable, Sendable {
    /// The blob as stored, written back unchanged to `tokenizer.json`.
    public let blob: [UInt8]
    /// Darts-clone units: label, leaf flag, offset to the children (or the value of a leaf).
    private let units: [UInt32]
    private let pool: [UInt8]

    public static func == (a: Self, b: Self) -> Bool { a.blob == b.blob }

    /// Reads and checks a blob; the error says what is wrong with it.
    init(blob: [UInt8]) throws(CharsMapError) {
        guard blob.count > 4 else { throw CharsMapError("charsmap of \(blob.count) bytes is too short") }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize < blob.count - 4 else {
            throw CharsMapError("trie size \(trieSize) exceeds the charsmap (\(blob.count - 4) bytes after the size)")
        }
        guard trieSize % 4 == 0, trieSize >= 4 else { throw CharsMapError("trie size \(trieSize) is not a positive multiple of 4") }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for k in units.indices {
            let o = 4 + 4 * k
            units[k] = UInt32(blob[o]) | UInt32(blob[o + 1]) << 8 | UInt32(blob[o + 2]) << 16 | UInt32(blob[o + 3]) << 24
        }
        self.blob = blob
        self.units = units
        pool = Array(blob[(4 + trieSize)...])
        try validate()
    }

    /// A blob written in base64, as `tokenizer.json` holds it.
    init(base64: String) throws(CharsMapError) {
        guard let data = Data(base64Encoded: base64) else { throw CharsMapError("precompiled_charsmap is not valid base64") }
        try self.init(blob: [UInt8](data))
    }

    /// The blob in base64, for `tokenizer.json`.
    var base64: String { Data(blob).base64EncodedString() }

    @inline(__always) private static func hasLeaf(_ u: UInt32) -> Bool { (u >> 8) & 1 == 1 }
    @inline(__always) private static func value(_ u: UInt32) -> Int { Int(u & 0x7FFF_FFFF) }
    @inline(__always) private static func label(_ u: UInt32) -> UInt32 { u & 0x8000_00FF }
    @inline(__always) private static func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }

    /// Walks every reachable node once, so that lookups can trust what they read.
    private func validate() throws(CharsMapError) {
        let lastNUL = pool.lastIndex(of: 0) ?? -1
        let root = PrecompiledCharsMap.offset(units[0])
        guard root < units.count else { throw CharsMapError("the trie's root points outside it (unit \(root) of \(units.count))") }
        var visited = [Bool](repeating: false, count: units.count)
        var stack = [root]
        visited[root] = true
        while let s = stack.popLast() {
            for c in 1..<256 {
                let t = s ^ c
                guard t < units.count else { continue }
                let u = units[t]
                guard PrecompiledCharsMap.label(u) == UInt32(c) else { continue }
                let next = t ^ PrecompiledCharsMap.offset(u)
                guard next < units.count else {
                    throw CharsMapError("trie unit \(t) points outside the trie (unit \(next) of \(units.count))")
                }
                if PrecompiledCharsMap.hasLeaf(u) {
                    let v = PrecompiledCharsMap.value(units[next])
                    guard v <= lastNUL else {
                        throw CharsMapError("a replacement starts at \(v), outside the NUL-terminated strings (\(pool.count) bytes)")
                    }
                }
                if !visited[next] {
                    visited[next] = true
                    stack.append(next)
                }
            }
        }
    }

    /// Calls `body` with the trie's units and the string pool, for `longestMatch`.
    func withBuffers<R>(_ body: (UnsafeBufferPointer<UInt32>, UnsafeBufferPointer<UInt8>) -> R) -> R {
        units.withUnsafeBufferPointer { u in pool.withUnsafeBufferPointer { body(u, $0) } }
    }

    /// The longest key prefixing `p[i..<end]` (SentencePiece): its length and replacement
    /// (a range of `pool`), given the buffers of `withBuffers`.
    @inline(__always)
    static func longestMatch(_ u: UnsafeBufferPointer<UInt32>, _ pool: UnsafeBufferPointer<UInt8>,
                             _ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> (length: Int, replacement: Range<Int>)? {
        var best: (Int, Int)?
        var s = offset(u[0])
        var k = i
        while k < end {
            let c = p[k]
            if c == 0 { break }
            let t = s ^ Int(c)
            guard t < u.count, label(u[t]) == UInt32(c) else { break }
            s = t ^ offset(u[t])
            k += 1
            if hasLeaf(u[t]) { best = (k - i, value(u[s])) }
        }
        guard let (length, v) = best else { return nil }
        var e = v
        while pool[e] != 0 { e += 1 }
        return (length, v..<e)
    }

    /// The replacement of the shortest key prefixing `p[i..<end]` (Hugging Face's `transform`).
    @inline(__always)
    func firstMatch(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Range<Int>? {
        units.withUnsafeBufferPointer { u in
            var s = PrecompiledCharsMap.offset(u[0])
            var k = i
            while k < end {
                let c = p[k]
                if c == 0 { return nil }
                let t = s ^ Int(c)
                guard t < u.count, PrecompiledCharsMap.label(u[t]) == UInt32(c) else { return nil }
                s = t ^ PrecompiledCharsMap.offset(u[t])
                k += 1
                if PrecompiledCharsMap.hasLeaf(u[t]) { return replacement(at: PrecompiledCharsMap.value(u[s])) }
            }
            return nil
        }
    }

    /// The pool range of the NUL-terminated replacement at `v` (validated to exist).
    @inline(__always)
    private func replacement(at v: Int) -> Range<Int> {
        var e = v
        while pool[e] != 0 { e += 1 }
        return v..<e
    }

    /// Hugging Face's `Precompiled` normalizer: each grapheme shorter than six bytes is looked up
    /// whole (its first match replaces all of it); otherwise each of its scalars is looked up.
    func normalizeGraphemes(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 4)
        var scratch: [UInt8] = []
        pool.withUnsafeBufferPointer { pool in
            func lookUp(_ b: [UInt8]) -> Bool {
                guard let r = b.withUnsafeBufferPointer({ firstMatch($0, 0, $0.count) }) else { return false }
                out += pool[r]
                return true
            }
            for grapheme in String(decoding: bytes, as: UTF8.self) {
                scratch.removeAll(keepingCapacity: true)
                scratch += grapheme.utf8
                if scratch.count < 6 && lookUp(scratch) { continue }
                for scalar in grapheme.unicodeScalars {
                    scratch.removeAll(keepingCapacity: true)
                    UTF8.encode(scalar) { scratch.append($0) }
                    if !lookUp(scratch) { out += scratch }
                }
            }
        }
        return out
    }
}

/// Why a charsmap blob was refused.
struct CharsMapError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
