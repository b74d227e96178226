// A SentencePiece `.model` file loaded as a Tokenizer: the model does spm's normalization and
// segmentation of whole sentences, the decoder spm's decoding; with `addSpecial`, bos and eos
// (when the model has them as control pieces) go around the ids, as spm's add_bos/add_eos.

extension Tokenizer {
    /// Loads a SentencePiece `.model` (unigram, BPE, char or word); errors name the file.
    public init(sentencePieceModel path: String) throws {
        try self.init(sentencePieceModel: try FileIO.read(path), name: path)
    }

    /// Loads a serialized SentencePiece model (a `.model` file's bytes); errors name it `name`.
    public init(sentencePieceModel bytes: [UInt8], name: String) throws {
        let model = try SentencePieceModel(serialized: bytes, name: name)
        func control(_ piece: [UInt8]) -> Int32? {
            guard let id = model.id(of: piece), model.types[Int(id)] == .control else { return nil }
            return id
        }
        // A role without its control piece gets no name, so the Tokenizer finds no id for it.
        func role(_ piece: [UInt8]) -> String? { control(piece) == nil ? nil : String(decoding: piece, as: UTF8.self) }
        let special = SpecialTokens(roles: role(model.padPiece), bos: role(model.bosPiece), eos: role(model.eosPiece),
                                    unk: String(decoding: model.tokens[Int(model.unkID)], as: UTF8.self))
        self.init(model: .sentencePiece(model), normalizer: [], preTokenizer: [],
                  postProcessor: PostProcessorStep.around(bos: control(model.bosPiece), eos: control(model.eosPiece), names: special),
                  decoder: [.sentencePiece(model.decoder)], addedTokens: [], specialTokens: special)
    }
}

extension SentencePieceModel {
    /// Reads and checks a `.model` file.
    init(contentsOfFile path: String) throws {
        try self.init(serialized: try FileIO.read(path), name: path)
    }

    /// Reads and checks a serialized model; errors name it `name`.
    init(serialized bytes: [UInt8], name path: String) throws {
        let proto: SentencePieceModelProto
        do throws(ProtobufError) {
            proto = try SentencePieceModelProto(serialized: bytes)
        } catch {
            throw TokenizationError.invalidTokenizer(file: path, reason: "not a SentencePiece model: byte \(error.offset): \(error.reason)")
        }
        do throws(SentencePieceModelError) {
            try self.init(proto: proto)
        } catch {
            throw TokenizationError.invalidTokenizer(file: path, reason: error.reason)
        }
    }
}

/// A part of a pipeline that `tokenizer.json` cannot express.
struct NoJSONForm: Error {
    let what: String
}
