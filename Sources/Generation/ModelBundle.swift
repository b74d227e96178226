// A model directory with everything needed to run it on text: the model on our layers (our own
// directories, the PyTorch reference layout, or a Hugging Face one: Marian, GPT-2, BERT, Llama),
// its tokenizer whatever its kind (tokenizer.json, SentencePiece, a Marian source.spm/target.spm/
// vocab.json set), and its decoding defaults (generation_config.json for Hugging Face models), in the
// inference precision asked (float32, bfloat16 or int8 weights, whatever the directory stores). Every
// command — and any other front end — loads through here, so text is encoded and decoded the same
// way everywhere.
import Checkpoints
import Foundation
import JSONText
import Models
import Tokenization

/// A problem with a model directory or with what is asked of it, worded for the user.
public struct ModelBundleError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public final class ModelBundle {
    public let directory: URL
    public let config: TransformerConfig
    public let model: AnyTransformerModel
    public let layout: WeightLayout
    /// The Hugging Face architecture of a hub directory; nil for our own.
    public let architecture: HubArchitecture?
    public let generation: GenerationDefaults
    /// The number format the model's weights compute in (see `ModelDirectory.load`).
    public let precision: InferencePrecision
    /// The directory's tokenizer; nil only when loaded with `tokenizer: false`.
    public let tokenizer: Tokenizer?
    /// Things the user should know that do not stop loading (a tokenizer whose <eos> is not the model's).
    public let warnings: [String]

    /// Loads a model directory, with its tokenizer unless `tokenizer` is false (forward passes on ids),
    /// its weights in `precision` (nil: the precision they are stored in, `ModelDirectory.storedPrecision`).
    public init(directory path: String, tokenizer loadTokenizer: Bool = true, precision asked: InferencePrecision? = nil) throws {
        let url = URL(fileURLWithPath: path)
        try ModelBundle.checkLayout(url)
        let precision = try asked ?? ModelDirectory.storedPrecision(url)
        let loaded = try ModelDirectory.load(url, precision: precision)
        self.precision = precision
        directory = url
        config = loaded.config
        model = loaded.model
        layout = loaded.layout
        architecture = loaded.architecture
        generation = loaded.generation
        var warnings: [String] = []
        // Settings of generation_config.json that decoding here does not apply, said rather than dropped silently.
        if let n = generation.noRepeatNgramSize, n > 0 {
            warnings.append("generation_config.json sets no_repeat_ngram_size \(n), which is not applied here")
        }
        if generation.badWordsIds.contains(where: { $0.count > 1 }) {
            warnings.append("generation_config.json's bad_words_ids of more than one token are not applied here (single tokens are)")
        }
        if loadTokenizer {
            let t: Tokenizer
            do { t = try Tokenizer.load(fileOrDirectory: path) } catch {
                throw ModelBundleError("model directory '\(path)' has no usable tokenizer: \(error)")
            }
            let inputVocabulary = config.family == .decoderOnly ? config.tgtVocab : config.srcVocab
            guard t.vocabSize <= inputVocabulary else {
                throw ModelBundleError("the tokenizer in '\(path)' has \(t.vocabSize) tokens but the model's input vocabulary has \(inputVocabulary)")
            }
            if layout != .hub, let eos = t.eosID, Int(eos) != config.eosId {
                warnings.append("tokenizer <eos> is \(eos) but config eos_id is \(config.eosId); decoding stops at \(config.eosId)")
            }
            tokenizer = t
        } else {
            tokenizer = nil
        }
        self.warnings = warnings
    }

    /// The config, architecture and generation defaults of a directory, without its weights.
    public static func describe(directory path: String) throws -> ModelDescription {
        let url = URL(fileURLWithPath: path)
        try checkLayout(url)
        return try ModelDirectory.describe(url)
    }

    /// Checks that `directory` is one of the layouts this package reads before anything is loaded,
    /// so that anything else is an error saying what was looked for.
    public static func checkLayout(_ directory: URL) throws {
        let fm = FileManager.default
        let path = directory.path
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ModelBundleError("model directory '\(path)' does not exist") }
        guard isDirectory.boolValue else { throw ModelBundleError("'\(path)' is a file; a model is a directory") }
        func has(_ name: String) -> Bool { fm.fileExists(atPath: directory.appendingPathComponent(name).path) }
        let lookedFor = """
            looked for our layout (config.json + weights.safetensors, under our parameter names or in the PyTorch \
            reference layout) or a Hugging Face one (config.json with a model_type, and model.safetensors, sharded \
            model-*-of-*.safetensors with model.safetensors.index.json, or pytorch_model.bin)
            """
        if has("training.json") && has("checkpoints") {
            throw ModelBundleError("'\(path)' is a training run directory, not a model directory: write one with "
                                   + "`transformer export \(path) --out DIR`")
        }
        guard has("config.json") else { throw ModelBundleError("'\(path)' is not a model directory: it has no config.json; \(lookedFor)") }
        switch modelType(directory.appendingPathComponent("config.json").path) {
        case nil where !has("weights.safetensors"):
            throw ModelBundleError("'\(path)' is not a model directory: its config.json has no model_type and there is no "
                                   + "weights.safetensors; \(lookedFor)")
        case let type? where !HubArchitecture.supportedModelTypes.contains(type):
            throw ModelBundleError("'\(path)': config.json's model_type '\(type)' is not supported; supported: "
                                   + HubArchitecture.allCases.map { "\($0.rawValue) (\($0.modelType))" }.joined(separator: ", "))
        default: break
        }
    }

    /// A config.json's `model_type` (Hugging Face's have one; ours never), as text; nil when it has
    /// none, or cannot be read (it then gets its own error when loaded).
    private static func modelType(_ path: String) -> String? {
        guard let bytes = try? Data(contentsOf: URL(fileURLWithPath: path)), bytes.count <= 16 << 20,
              let root = try? JSONValue.parse(Array(bytes), maxDepth: 64), let v = root["model_type"], !v.isNull else { return nil }
        return v.string ?? v.kindName
    }

    /// The tokenizer, or an error naming the command that needs one.
    public func requireTokenizer(for command: String) throws -> Tokenizer {
        guard let tokenizer else { throw ModelBundleError("\(command) needs the tokenizer of '\(directory.path)', which was not loaded") }
        return tokenizer
    }

    public func encoderDecoder(for command: String) throws -> EncoderDecoderModel {
        guard case .encoderDecoder(let m) = model else { throw wrongFamily(command, "an encoder-decoder") }
        return m
    }

    public func decoderOnly(for command: String) throws -> DecoderOnlyModel {
        guard case .decoderOnly(let m) = model else { throw wrongFamily(command, "a decoder-only") }
        return m
    }

    public func encoderOnly(for command: String) throws -> EncoderOnlyModel {
        guard case .encoderOnly(let m) = model else { throw wrongFamily(command, "an encoder-only") }
        return m
    }

    private func wrongFamily(_ command: String, _ wanted: String) -> ModelBundleError {
        let what = architecture.map { "\(config.family.rawValue) (\($0.rawValue))" } ?? config.family.rawValue
        return ModelBundleError("\(command) needs \(wanted) model, but '\(directory.path)' holds \(what)")
    }

    // MARK: Text in and out

    /// Source ids as training collates them and as transformers' tokenizers give them (subwords
    /// then <eos>), cut to `limit`; nil for a blank line. `originalCount` is set when cut.
    public func sourceIDs(_ text: String, limit: InputLengthLimit) throws -> (ids: [Int32], originalCount: Int?)? {
        guard !text.allSatisfy(\.isWhitespace) else { return nil }
        let m = try encoderDecoder(for: "translation")
        return limit.apply(try requireTokenizer(for: "translation").encode(text), suffix: m.sourceSequence([]))
    }

    /// A decoder-only prompt behind the tokenizer's own prefix (<bos> for the BPE tokenizers we
    /// train, none for a character-level one; Llama's <s>, none for GPT-2); an empty prompt starts
    /// from <bos>. Cut to `limit`.
    public func promptIDs(_ text: String, limit: InputLengthLimit) throws -> (ids: [Int32], originalCount: Int?) {
        let t = try requireTokenizer(for: "generation")
        let bos = Int32(generation.bosTokenId ?? config.bosId)
        // A character-level model learned from windows of raw text, none starting with <bos>.
        var ids = t.prefixIDs + t.encode(text)
        if ids.isEmpty { ids = [bos] }
        return limit.apply(ids)
    }

    /// The text of generated tokens, without a final <eos> and special tokens, on one line.
    public func text(_ tokens: [Int32]) throws -> String {
        let t = try requireTokenizer(for: "decoding")
        let content = tokens.last.map { stopTokens.contains($0) } == true ? Array(tokens.dropLast()) : tokens
        return String(t.decode(content, skipSpecial: true).map { $0.isNewline ? " " : $0 })
    }

    /// Tokens that end a sequence: the config's <eos>, and any other generation_config.json lists.
    public var stopTokens: Set<Int32> { Set(([config.eosId] + generation.eosTokenIds).map { Int32($0) }) }

    // MARK: Decoding defaults

    /// Translation settings before any flag: ours (beam 4, GNMT α 0.6, |source| + 50) for our own
    /// directories, with the num_beams, length_penalty (|Y|^α) and early_stopping of their
    /// generation_config.json when they ship one; generation_config.json's as transformers applies
    /// them for a Hugging Face one (num_beams, default 1; length_penalty as |Y|^α, default 1;
    /// early_stopping; max_new_tokens or max_length, which counts the decoder start, default 20;
    /// min_length; renormalize_logits; forced_eos_token_id).
    public var translationDefaults: TranslationOptions {
        var o = TranslationOptions()
        let g = generation, hub = layout == .hub
        // transformers' meanings of the search keys; a key our directory leaves out keeps ours.
        if let n = g.numBeams ?? (hub ? 1 : nil) { o.beamSize = n }
        if let alpha = g.lengthPenalty ?? (hub ? 1 : nil) { (o.lengthPenalty, o.lengthNormalization) = (alpha, .power) }
        if hub || g.lengthPenalty != nil || g.earlyStopping != nil {
            o.beamStopping = g.earlyStopping == .yes ? .beamsFinished : .noBetterHypothesis
        }
        guard hub else { return o }
        o.renormalize = g.renormalizeLogits ?? false
        o.maxLengthA = 0
        o.maxLengthB = g.maxNewTokens ?? max(0, (g.maxLength ?? 20) - 1)
        o.minLength = max(0, (g.minLength ?? 0) - 1)
        o.forcedAtCap = g.forcedEosTokenId.map { Int32($0) }
        return o
    }

    /// Sampling settings before any flag: generation_config.json's when it has them (do_sample false
    /// is greedy, temperature 0; do_sample true without top_k is transformers' top_k 50), else
    /// temperature 1 with neither top-k nor top-p. Values a Sampler cannot take (top_k 0, which
    /// transformers reads as "off") are left out.
    public var samplingDefaults: (temperature: Float, topK: Int?, topP: Float?) {
        let g = generation
        if g.doSample == false { return (0, nil, nil) }
        let temperature = g.temperature.flatMap { $0 >= 0 ? $0 : nil } ?? 1
        let topK = (g.topK ?? (g.doSample == true ? 50 : nil)).flatMap { $0 >= 1 ? $0 : nil }
        let topP = g.topP.flatMap { $0 > 0 && $0 < 1 ? $0 : nil }
        return (temperature, topK, topP)
    }

    /// New tokens to generate after a prompt of `promptLength` when no flag says: generation_config's
    /// max_new_tokens, or its max_length less the prompt; nil when it sets neither.
    public func maxNewTokensDefault(promptLength: Int) -> Int? {
        if let n = generation.maxNewTokens { return n }
        return generation.maxLength.map { max(0, $0 - promptLength) }
    }
}
