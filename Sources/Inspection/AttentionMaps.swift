// The attention weights of a model on one text (the paper, §3.2 and its Figures 3–5): an
// encoder-decoder translates it (greedy, with the KV cache, as `translate` decodes) and gives its
// encoder self-attention, decoder self-attention and the cross-attention that aligns target with
// source; a decoder-only or encoder-only model runs the text and gives its self-attention.
import Foundation
import Generation
import Models
import Tokenization

/// Every layer's weights at one site, with the tokens on both axes.
public struct AttentionSiteMaps: Sendable {
    public let site: AttentionSite
    /// The token of each query (row) and each key (column).
    public let queryTokens: [String]
    public let keyTokens: [String]
    /// What the rows and columns are, in words, for axis titles.
    public let queryAxis: String
    public let keyAxis: String
    /// Per layer, [heads][query][key] weights; each query's row sums to 1 over the keys it sees.
    public let layers: [[[[Float]]]]

    public var heads: Int { layers.first?.count ?? 0 }
}

public struct AttentionMaps: Sendable {
    public let input: String
    /// The translation, for an encoder-decoder; nil otherwise.
    public let output: String?
    public let sites: [AttentionSiteMaps]

    public func site(_ site: AttentionSite) -> AttentionSiteMaps? { sites.first { $0.site == site } }
}

public struct AttentionMapsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension AttentionMaps {
    /// Runs `bundle` on `text` (cut to `maxTokens` tokens) with capture on, and returns every layer's
    /// weights. Translation is greedy (one query row per decoded token) with the model's length cap.
    public static func capture(bundle: ModelBundle, text: String, maxTokens: Int = 256) throws -> AttentionMaps {
        let tokenizer = try bundle.requireTokenizer(for: "attention")
        let limit = InputLengthLimit(maxTokens: max(2, maxTokens))
        let recorder = AttentionRecorder()
        bundle.model.captureAttention(into: recorder)
        defer { bundle.model.captureAttention(into: nil) }
        bundle.model.module.train(false)
        let labels = { (ids: [Int32]) in ids.map { tokenLabel($0, tokenizer: tokenizer) } }
        switch bundle.model {
        case .encoderDecoder(let model):
            guard var source = try bundle.sourceIDs(text, limit: limit)?.ids else { throw AttentionMapsError("the text is empty") }
            if let cap = model.positionLimit { source = Array(source.prefix(cap)) }
            var options = bundle.translationDefaults
            options.beamSize = 1
            options.nBest = 1
            let translator = Translator(model: model, options: options)
            guard let hypothesis = translator.translateBatch([source]).first?.first else { throw AttentionMapsError("translation produced nothing") }
            let outputs = hypothesis.tokens
            let inputs = [Int32(model.config.startId)] + outputs.dropLast()
            return AttentionMaps(input: text, output: try bundle.text(outputs), sites: [
                try siteMaps(recorder, .encoder, labels(source), labels(source), "source token (query)", "source token (key)"),
                try siteMaps(recorder, .decoder, labels(inputs), labels(inputs), "decoder input (query)", "decoder input (key)"),
                try siteMaps(recorder, .cross, labels(outputs), labels(source), "generated token", "source token"),
            ])
        case .decoderOnly(let model):
            var (ids, _) = try bundle.promptIDs(text, limit: limit)
            if let cap = model.positionLimit { ids = Array(ids.prefix(cap)) }
            _ = withNoGrad { model.hidden(Tensor(ints: ids, shape: [1, ids.count]), keyPadding: Tensor(zeros: [1, ids.count])) }
            return AttentionMaps(input: text, output: nil, sites: [
                try siteMaps(recorder, .decoder, labels(ids), labels(ids), "token (query)", "token (key)"),
            ])
        case .encoderOnly(let model):
            let cap = min(limit.maxTokens, model.config.positional == .learned ? model.config.maxLen : Int.max)
            let (ids, _) = InputLengthLimit(maxTokens: max(1, cap)).apply(tokenizer.prefixIDs + tokenizer.encode(text), suffix: tokenizer.suffixIDs)
            guard !ids.isEmpty else { throw AttentionMapsError("the text is empty") }
            _ = withNoGrad { model.hidden(Tensor(ints: ids, shape: [1, ids.count]), keyPadding: Tensor(zeros: [1, ids.count])) }
            return AttentionMaps(input: text, output: nil, sites: [
                try siteMaps(recorder, .encoder, labels(ids), labels(ids), "token (query)", "token (key)"),
            ])
        }
    }

    static func siteMaps(_ recorder: AttentionRecorder, _ site: AttentionSite, _ queries: [String], _ keys: [String],
                         _ queryAxis: String, _ keyAxis: String) throws -> AttentionSiteMaps {
        let layers = try recorder.layers(site).map { layer -> [[[Float]]] in
            guard let map = recorder.map(site, layer: layer) else { throw AttentionMapsError("no \(site.title) weights for layer \(layer)") }
            let (h, t, s) = (map.shape[0], map.shape[1], map.shape[2])
            guard t == queries.count && s == keys.count else {
                throw AttentionMapsError("\(site.title) layer \(layer): \(t) × \(s) weights for \(queries.count) queries and \(keys.count) keys")
            }
            let values = map.scalars
            return (0..<h).map { head in (0..<t).map { i in Array(values[((head * t + i) * s)..<((head * t + i + 1) * s)]) } }
        }
        return AttentionSiteMaps(site: site, queryTokens: queries, keyTokens: keys, queryAxis: queryAxis, keyAxis: keyAxis, layers: layers)
    }

    /// A token as text for an axis: its decoded text when that is printable, else its vocabulary
    /// entry, else its id.
    public static func tokenLabel(_ id: Int32, tokenizer: Tokenizer) -> String {
        let decoded = tokenizer.decode([id], skipSpecial: false)
        let trimmed = decoded.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty && !trimmed.contains("\u{FFFD}") && !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return trimmed
        }
        return tokenizer.token(forID: id) ?? "#\(id)"
    }
}
