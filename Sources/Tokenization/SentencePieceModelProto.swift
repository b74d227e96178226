// SentencePiece's `ModelProto` (sentencepiece_model.proto): the pieces with their scores and
// types, the trainer spec (model type, byte fallback, special pieces) and the normalizer specs,
// read from a `.model` file with ProtobufReader. Only the fields that matter for encoding and
// decoding are kept; the others are skipped, as protobuf parsers skip unknown fields.

/// The type of a piece (`ModelProto.SentencePiece.Type`).
enum SentencePieceType: Int32, Sendable {
    case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
}

/// The algorithm of a model (`TrainerSpec.ModelType`).
enum SentencePieceModelType: Int32, Sendable {
    case unigram = 1, bpe = 2, word = 3, char = 4
}

/// `NormalizerSpec`: the compiled character map and the whitespace rules.
struct SentencePieceNormalizerSpec: Sendable {
    var precompiledCharsmap: [UInt8] = []
    var addDummyPrefix = true
    var removeExtraWhitespaces = true
    var escapeWhitespaces = true
}

/// The fields of `ModelProto` that encoding and decoding use.
struct SentencePieceModelProto: Sendable {
    struct Piece: Sendable {
        var piece: [UInt8] = []
        var score: Float = 0
        var type: SentencePieceType = .normal
    }

    var pieces: [Piece] = []
    // TrainerSpec
    var modelType: SentencePieceModelType = .unigram
    var byteFallback = false
    var treatWhitespaceAsSuffix = false
    /// Special pieces by name (an empty name in the file keeps the default, as in spm).
    var unkPiece = Array("<unk>".utf8)
    var bosPiece = Array("<s>".utf8)
    var eosPiece = Array("</s>".utf8)
    var padPiece = Array("<pad>".utf8)
    var unkSurface = Array(" \u{2047} ".utf8)
    var normalizerSpec = SentencePieceNormalizerSpec()
    var denormalizerSpec: SentencePieceNormalizerSpec?

    /// Pieces index dense tables; more than this is not a real vocabulary.
    static let maxPieces = 1 << 24

    /// Parses a serialized `ModelProto`.
    init(serialized bytes: [UInt8]) throws(ProtobufError) {
        var r = ProtobufReader(bytes)
        while let (number, wire) = try r.nextField() {
            switch number {
            case 1:
                guard pieces.count < SentencePieceModelProto.maxPieces else {
                    throw ProtobufError(offset: r.position, reason: "more than \(SentencePieceModelProto.maxPieces) pieces")
                }
                var m = try r.message(wire, "ModelProto.pieces")
                pieces.append(try SentencePieceModelProto.piece(&m, index: pieces.count))
            case 2:
                var m = try r.message(wire, "ModelProto.trainer_spec")
                try readTrainerSpec(&m)
            case 3:
                var m = try r.message(wire, "ModelProto.normalizer_spec")
                normalizerSpec = try SentencePieceModelProto.normalizerSpec(&m, "normalizer_spec")
            case 5:
                var m = try r.message(wire, "ModelProto.denormalizer_spec")
                denormalizerSpec = try SentencePieceModelProto.normalizerSpec(&m, "denormalizer_spec")
            default:
                try r.skip(wire)
            }
        }
    }

    private static func piece(_ r: inout ProtobufReader, index: Int) throws(ProtobufError) -> Piece {
        var p = Piece()
        while let (number, wire) = try r.nextField() {
            switch number {
            case 1: p.piece = try r.bytes(wire, "piece \(index): piece")
            case 2: p.score = try r.float(wire, "piece \(index): score")
            case 3:
                let v = try r.int32(wire, "piece \(index): type")
                guard let t = SentencePieceType(rawValue: v) else {
                    throw ProtobufError(offset: r.position, reason: "piece \(index) has unknown type \(v)")
                }
                p.type = t
            default: try r.skip(wire)
            }
        }
        return p
    }

    private mutating func readTrainerSpec(_ r: inout ProtobufReader) throws(ProtobufError) {
        while let (number, wire) = try r.nextField() {
            switch number {
            case 3:
                let v = try r.int32(wire, "trainer_spec.model_type")
                guard let t = SentencePieceModelType(rawValue: v) else {
                    throw ProtobufError(offset: r.position, reason: "trainer_spec.model_type has unknown value \(v)")
                }
                modelType = t
            case 24: treatWhitespaceAsSuffix = try r.bool(wire, "trainer_spec.treat_whitespace_as_suffix")
            case 35: byteFallback = try r.bool(wire, "trainer_spec.byte_fallback")
            case 44: unkSurface = try r.bytes(wire, "trainer_spec.unk_surface")
            case 45: let v = try r.bytes(wire, "trainer_spec.unk_piece"); if !v.isEmpty { unkPiece = v }
            case 46: let v = try r.bytes(wire, "trainer_spec.bos_piece"); if !v.isEmpty { bosPiece = v }
            case 47: let v = try r.bytes(wire, "trainer_spec.eos_piece"); if !v.isEmpty { eosPiece = v }
            case 48: let v = try r.bytes(wire, "trainer_spec.pad_piece"); if !v.isEmpty { padPiece = v }
            default: try r.skip(wire)
            }
        }
    }

    private static func normalizerSpec(_ r: inout ProtobufReader, _ name: String) throws(ProtobufError) -> SentencePieceNormalizerSpec {
        var spec = SentencePieceNormalizerSpec()
        while let (number, wire) = try r.nextField() {
            switch number {
            case 2: spec.precompiledCharsmap = try r.bytes(wire, "\(name).precompiled_charsmap")
            case 3: spec.addDummyPrefix = try r.bool(wire, "\(name).add_dummy_prefix")
            case 4: spec.removeExtraWhitespaces = try r.bool(wire, "\(name).remove_extra_whitespaces")
            case 5: spec.escapeWhitespaces = try r.bool(wire, "\(name).escape_whitespaces")
            default: try r.skip(wire)
            }
        }
        return spec
    }
}
