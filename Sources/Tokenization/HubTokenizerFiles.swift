// A tokenizer written as transformers' AutoTokenizer reads it from a model directory:
// tokenizer.json whose post-processor puts around a text the special tokens the model reads it
// with (transformers adds them by default), tokenizer_config.json (the fast tokenizer class, the
// special tokens' roles, the model's length limit) and special_tokens_map.json (the roles again,
// which older versions and `Tokenizer.load` also read).
import JSONText

extension Tokenizer {
    /// The tokenizer files of a Hugging Face model directory, by file name. `around`: the ids put
    /// before and after one text (and a pair: bos A B eos); nil keeps this tokenizer's
    /// post-processor. `roles`: role ("pad", "bos", "eos", "unk", "cls", "sep", "mask") → id, for
    /// the roles the model defines; the others are this tokenizer's own.
    public func hubFiles(around: (bos: Int32?, eos: Int32?)?, roles: [String: Int32],
                         modelMaxLength: Int) throws -> [(name: String, bytes: [UInt8])] {
        var names: [String: String] = [:]
        let own: [(String, String?)] = [("pad", specialTokens.pad), ("bos", specialTokens.bos), ("eos", specialTokens.eos),
                                        ("unk", specialTokens.unk), ("cls", specialTokens.cls), ("sep", specialTokens.sep),
                                        ("mask", specialTokens.mask)]
        for (role, token) in own { if let token, id(forToken: token) != nil { names[role] = token } }
        for (role, id) in roles {
            guard let token = token(forID: id) else {
                throw TokenizationError.invalidTokenizer(file: "tokenizer.json", reason: "the model's \(role) id \(id) is not one of its tokens")
            }
            names[role] = token
        }
        let specials = SpecialTokens(roles: names["pad"], bos: names["bos"], eos: names["eos"], unk: names["unk"],
                                     cls: names["cls"], sep: names["sep"], mask: names["mask"])
        let steps = around.map { PostProcessorStep.around(bos: $0.bos, eos: $0.eos, names: specials) } ?? postProcessor
        let exported = Tokenizer(model: model, normalizer: normalizer, preTokenizer: preTokenizer, postProcessor: steps,
                                 decoder: decoder, addedTokens: addedTokens, specialTokens: specials)
        let document: [UInt8]
        do throws(NoJSONForm) {
            document = try exported.jsonDocument()
        } catch {
            throw TokenizationError.unsupported(file: "tokenizer.json", component: "\(error.what) has no tokenizer.json form")
        }
        let order = ["bos", "eos", "unk", "pad", "cls", "sep", "mask"]
        let roleMembers = order.compactMap { role in names[role].map { (role + "_token", JSONValue.string($0)) } }
        let config = JSONValue.object([("tokenizer_class", .string("PreTrainedTokenizerFast"))] + roleMembers
            + [("model_max_length", .integer(modelMaxLength)), ("clean_up_tokenization_spaces", .bool(false))])
        return [("tokenizer.json", document), ("tokenizer_config.json", Tokenizer.pretty(config)),
                ("special_tokens_map.json", Tokenizer.pretty(.object(roleMembers)))]
    }

    private static func pretty(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        value.writePretty(to: &out)
        out.append(0x0A)
        return out
    }
}
