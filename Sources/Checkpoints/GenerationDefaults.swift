// The decoding settings a model directory ships with: transformers' generation_config.json (or,
// in older exports, the same keys in config.json), and for our own directories the special ids of
// config.json, with the search settings of a generation_config.json of their own. Plain values for
// the commands to use; a nil field was not set, and transformers' own defaults then apply (1 beam,
// length_penalty 1, early_stopping false, max_length 20).
import Foundation
import Models

public struct GenerationDefaults: Equatable, Sendable {
    /// transformers' early_stopping: true, false or "never".
    public enum EarlyStopping: String, Equatable, Sendable { case yes = "true", no = "false", never }

    public var numBeams: Int?
    /// Prompt (decoder start) plus new tokens, as transformers counts it.
    public var maxLength: Int?
    public var maxNewTokens: Int?
    public var minLength: Int?
    /// transformers' definition: a hypothesis scores log P / |Y|^length_penalty (ours, GNMT's
    /// ((5 + |Y|)/6)^α, applies to our own directories that set none).
    public var lengthPenalty: Float?
    public var earlyStopping: EarlyStopping?
    /// Token sequences never generated; single tokens are also in the model's `suppressed_ids`.
    public var badWordsIds: [[Int]] = []
    public var decoderStartTokenId: Int?
    public var bosTokenId: Int?
    /// Any of them ends a sequence (Llama 3 has several).
    public var eosTokenIds: [Int] = []
    public var padTokenId: Int?
    public var doSample: Bool?
    public var temperature: Float?
    public var topK: Int?
    public var topP: Float?
    /// Log-probabilities renormalised after bad words are removed (opus-mt sets it).
    public var renormalizeLogits: Bool?
    /// Forced as the last token when the length cap is reached (Marian's config sets 0 = </s>).
    public var forcedEosTokenId: Int?
    public var noRepeatNgramSize: Int?

    public init() {}

    /// The special ids of one of our own configs.
    init(config: TransformerConfig) {
        bosTokenId = config.bosId
        eosTokenIds = [config.eosId]
        padTokenId = config.padId
        decoderStartTokenId = config.family == .encoderDecoder ? config.startId : nil
    }

    /// Our directory's defaults: `config`'s special ids, and the search settings (num_beams,
    /// length_penalty, early_stopping — transformers' keys and meanings) of a generation_config.json
    /// beside it, which a model ships with once they are tuned on validation data. Its other keys
    /// do not apply to our directories.
    public init(config: TransformerConfig, directory: URL) throws {
        self.init(config: config)
        let path = directory.appendingPathComponent("generation_config.json").path
        guard FileManager.default.fileExists(atPath: path) else { return }
        let file = try GenerationDefaults(hub: HubConfig(path: path))
        numBeams = file.numBeams
        lengthPenalty = file.lengthPenalty
        earlyStopping = file.earlyStopping
    }

    /// Reads the generation keys of `file`.
    init(hub file: HubConfig) throws {
        numBeams = try file.optionalInt("num_beams")
        maxLength = try file.optionalInt("max_length")
        maxNewTokens = try file.optionalInt("max_new_tokens")
        minLength = try file.optionalInt("min_length")
        if file.has("length_penalty") { lengthPenalty = try file.float("length_penalty", default: 1) }
        if let v = file.value("early_stopping") {
            switch (v.bool, v.string) {
            case (true?, _): earlyStopping = .yes
            case (false?, _): earlyStopping = .no
            case (_, "never"?): earlyStopping = .never
            default: throw file.error("early_stopping", "must be true, false or \"never\" (got \(v.description))")
            }
        }
        if let v = file.value("bad_words_ids") {
            guard let lists = v.array?.compactMap(\.array), lists.count == v.array?.count else {
                throw file.error("bad_words_ids", "must be a list of lists of token ids")
            }
            badWordsIds = try lists.map { try $0.map { try HubConfig.integer($0, key: "bad_words_ids", in: file) } }
        }
        decoderStartTokenId = try file.optionalInt("decoder_start_token_id")
        bosTokenId = try file.optionalInt("bos_token_id")
        eosTokenIds = try file.ints("eos_token_id")
        padTokenId = try file.optionalInt("pad_token_id")
        if file.has("do_sample") { doSample = try file.bool("do_sample", default: false) }
        if file.has("temperature") { temperature = try file.float("temperature", default: 1) }
        topK = try file.optionalInt("top_k")
        if file.has("top_p") { topP = try file.float("top_p", default: 1) }
        if file.has("renormalize_logits") { renormalizeLogits = try file.bool("renormalize_logits", default: false) }
        forcedEosTokenId = try file.ints("forced_eos_token_id").first
        noRepeatNgramSize = try file.optionalInt("no_repeat_ngram_size")
        if let n = numBeams, n < 1 { throw file.error("num_beams", "must be at least 1") }
        if let p = lengthPenalty, !p.isFinite { throw file.error("length_penalty", "must be finite") }
    }

    /// The ids that are suppressed one by one (bad words of a single token).
    public var suppressedIds: [Int] { badWordsIds.filter { $0.count == 1 }.map { $0[0] } }
}
