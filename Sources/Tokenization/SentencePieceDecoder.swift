// SentencePiece's decoding (sentencepiece_processor.cc `Decode`): pieces back to text. `▁`
// becomes a space and the dummy-prefix space of the first piece is dropped; control pieces
// vanish; the unknown piece becomes the unk surface (` ⁇ `); runs of byte pieces become their
// bytes (a malformed byte: U+FFFD); a piece the model does not know is copied as is.

/// What a piece is to the decoder.
enum SentencePieceDecodingKind: Equatable, Sendable {
    case text, control, unknown, byte(UInt8)
}

/// A `.model`'s decoding rules, by piece string as spm looks pieces up.
public struct SentencePieceDecoder: Equatable, Sendable {
    /// The model's pieces, their ids, and what each id is.
    let tokens: [[UInt8]]
    let pieces: DoubleArrayTrie
    let kinds: [SentencePieceDecodingKind]
    let unkSurface: [UInt8]
    let addDummyPrefix: Bool
    let removeExtraWhitespaces: Bool
    /// The `denormalizer_spec`'s charsmap applied to the decoded text, if the model has one.
    let denormalizer: SentencePieceDenormalizer?

    public static func == (a: Self, b: Self) -> Bool {
        a.tokens == b.tokens && a.kinds == b.kinds && a.unkSurface == b.unkSurface
            && a.addDummyPrefix == b.addDummyPrefix && a.removeExtraWhitespaces == b.removeExtraWhitespaces
            && a.denormalizer?.blob == b.denormalizer?.blob
    }

    private static let space = SentencePieceNormalizer.spaceSymbol

    /// The text of `pieces` (their UTF-8 bytes).
    func decode(_ pieces: [[UInt8]]) -> [UInt8] {
        var text: [UInt8] = []
        var bytes: [UInt8] = []
        var isBeginning = true, beginningSpaceSeen = false
        for piece in pieces {
            let kind = piece.withUnsafeBufferPointer { self.pieces.value(of: $0) }.map { kinds[Int($0)] }
            if case let .byte(b)? = kind {
                bytes.append(b)
                continue
            }
            SentencePieceDecoder.appendBytes(&bytes, to: &text)
            if beginningSpaceSeen || !text.isEmpty { isBeginning = false }
            beginningSpaceSeen = false
            switch kind {
            case nil: text += piece  // a piece the model does not know decodes as itself
            case .control?, .byte?: break
            case .unknown?: text += unkSurface
            case .text?:
                var p = piece[...]
                if isBeginning && (addDummyPrefix || removeExtraWhitespaces) && p.starts(with: SentencePieceDecoder.space) {
                    p = p.dropFirst(3)
                    // With extra whitespace removed, every leading `▁` goes while the text is empty.
                    beginningSpaceSeen = !removeExtraWhitespaces
                }
                var k = p.startIndex
                while k < p.endIndex {
                    if p[k] == 0xE2, k + 2 < p.endIndex, p[k + 1] == 0x96, p[k + 2] == 0x81 {
                        text.append(0x20)
                        k += 3
                    } else {
                        text.append(p[k])
                        k += 1
                    }
                }
            }
        }
        SentencePieceDecoder.appendBytes(&bytes, to: &text)
        if let denormalizer { return denormalizer.apply(text) }
        return text
    }

    /// Byte pieces: each well-formed character as is, each malformed byte as U+FFFD.
    private static func appendBytes(_ bytes: inout [UInt8], to text: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBufferPointer { p in
            var i = 0
            while i < p.count {
                let (valid, n) = SentencePieceUTF8.decode(p, i)
                if valid { text += p[i..<i + n] } else { text += [0xEF, 0xBF, 0xBD] }
                i += n
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }
}

/// The `denormalizer_spec` of a model: its normalizer run over decoded text.
struct SentencePieceDenormalizer: Sendable {
    let normalizer: SentencePieceNormalizer
    let blob: [UInt8]

    func apply(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        text.withUnsafeBufferPointer { normalizer.normalize($0, into: &out) }
        return out
    }
}
