// The translation routes: LibreTranslate's POST /translate and GET /languages, so that its
// clients (Weblate, SearXNG, deep-translator, …) work against this server unchanged, and the
// project's own POST /v1/translate with n-best hypotheses, scores, search options and attention.
import Foundation
import Generation
import Hummingbird
import Inspection
import JSONText
import Models

extension ModelServer {
    /// LibreTranslate's language list: the model's source language, which translates into its target.
    func languagesResponse() throws -> Response {
        try require(.encoderDecoder, for: "/languages")
        func entry(_ code: String, _ targets: [String]) -> JSONValue {
            .object([("code", .string(code)), ("name", .string(ModelServer.languageName(code))), ("targets", .array(targets.map { .string($0) }))])
        }
        return JSONBody.response(.array([entry(languages.source, [languages.target]), entry(languages.target, [])]))
    }

    static func languageName(_ code: String) -> String {
        Locale(identifier: "en").localizedString(forLanguageCode: code) ?? code
    }

    /// LibreTranslate's POST /translate: `q` (a string or a list), `source` (the model's or "auto"),
    /// `target`, `format` ("text"), `alternatives` (how many more translations), `api_key` (ignored).
    func libreTranslate(_ request: Request) async throws -> Response {
        try require(.encoderDecoder, for: "/translate")
        var body = try await RequestReading.object(request, settings: settings)
        guard let (texts, isList) = try body.texts("q") else { throw APIError.badRequest("Invalid request: missing q parameter") }
        let source = try body.string("source") ?? "auto"
        let target = try body.string("target") ?? languages.target
        let format = try body.string("format") ?? "text"
        let alternatives = try body.int("alternatives", in: 0...max(0, settings.maxBeam - 1)) ?? 0
        _ = try body.string("api_key")
        try body.finish()
        guard source == "auto" || source == languages.source else {
            throw APIError.badRequest("\(source) is not supported: this model translates \(languages.source) to \(languages.target)")
        }
        guard target == languages.target else {
            throw APIError.badRequest("\(target) is not supported: this model translates \(languages.source) to \(languages.target)")
        }
        guard format == "text" else { throw APIError.badRequest("format \(format) is not supported; only \"text\"") }
        try checkTexts(texts, field: "q")
        var options = bundle.translationDefaults
        options.beamSize = max(options.beamSize, alternatives + 1)
        options.nBest = alternatives + 1
        let results = try await translate(texts, options: options, attention: false)
        let best = results.map { $0.first?.text ?? "" }
        var members: [(key: String, value: JSONValue)] = [("translatedText", isList ? .array(best.map { .string($0) }) : .string(best[0]))]
        if alternatives > 0 {
            let rest = results.map { JSONValue.array($0.dropFirst().map { .string($0.text) }) }
            members.append(("alternatives", isList ? .array(rest) : rest[0]))
        }
        if source == "auto" {
            let detected = JSONValue.object([("confidence", .integer(100)), ("language", .string(languages.source))])
            members.append(("detectedLanguage", isList ? .array(texts.map { _ in detected }) : detected))
        }
        return JSONBody.response(.object(members))
    }

    /// POST /v1/translate: `text` (a string or a list), `beam`, `n_best`, `length_penalty`,
    /// `max_length_a`, `max_length_b`, `attention` (one text only). `translations` has one entry per
    /// text (a single string is a list of one): its hypotheses, best first, with score
    /// (length-normalised log-probability) and log_probability.
    func translate(_ request: Request) async throws -> Response {
        try require(.encoderDecoder, for: "/v1/translate")
        var body = try await RequestReading.object(request, settings: settings)
        guard let (texts, _) = try body.texts("text") else { throw APIError.unprocessable("\"text\" is missing") }
        var options = bundle.translationDefaults
        if let beam = try body.int("beam", in: 1...settings.maxBeam) { options.beamSize = beam }
        options.beamSize = min(options.beamSize, settings.maxBeam)
        let nBest = try body.int("n_best", in: 1...settings.maxBeam) ?? 1
        if let alpha = try body.float("length_penalty", in: 0...10) { options.lengthPenalty = alpha }
        if let a = try body.float("max_length_a", in: 0...10) { options.maxLengthA = Double(a) }
        if let b = try body.int("max_length_b", in: 0...1000) { options.maxLengthB = b }
        let attention = try body.bool("attention") ?? false
        try body.finish()
        guard nBest <= options.beamSize else { throw APIError.unprocessable("\"n_best\" (\(nBest)) must be at most the beam (\(options.beamSize))") }
        if attention && texts.count != 1 { throw APIError.unprocessable("\"attention\" is given for one text at a time; this request has \(texts.count)") }
        try checkTexts(texts, field: "text")
        options.nBest = nBest
        let results = try await translate(texts, options: options, attention: attention)
        let items: [JSONValue] = results.map { hypotheses in
            var members: [(key: String, value: JSONValue)] = [
                ("text", .string(hypotheses.first?.text ?? "")),
                ("hypotheses", .array(hypotheses.map { h in
                    .object([("text", .string(h.text)), ("score", JSONBody.number(h.score)),
                             ("log_probability", JSONBody.number(h.logProbability)), ("tokens", .integer(h.tokens))])
                })),
            ]
            if let maps = hypotheses.first?.attention { members.append(("attention", ModelServer.attentionJSON(maps))) }
            return .object(members)
        }
        return JSONBody.response(.object([("translations", .array(items)), ("beam", .integer(options.beamSize))]))
    }

    /// A hypothesis as the routes return it.
    struct TextHypothesis {
        var text: String
        var score: Float
        var logProbability: Float
        var tokens: Int
        var attention: AttentionMaps?
    }

    /// Tokenizes `texts` (413 past the input limit), decodes them through the scheduler and
    /// detokenizes the hypotheses; a blank text gets an empty translation without decoding.
    func translate(_ texts: [String], options: TranslationOptions, attention: Bool) async throws -> [[TextHypothesis]] {
        guard let scheduler else { throw APIError(.notFound, "this server's model does not translate") }
        let limit = InputLengthLimit(maxTokens: settings.maxInputTokens)
        var sources: [[Int32]] = []
        var place: [Int?] = []
        for (i, text) in texts.enumerated() {
            guard let (ids, original) = try bundle.sourceIDs(text, limit: limit) else { place.append(nil); continue }
            if let original {
                let which = texts.count > 1 ? "text \(i)" : "the text"
                throw APIError.tooLarge("\(which) has \(original) tokens; at most \(settings.maxInputTokens) are accepted")
            }
            place.append(sources.count)
            sources.append(ids)
        }
        let decoded = try await scheduler.translate(TranslationJob(sources: sources, options: options, attention: attention))
        return try place.map { index in
            guard let index else { return [TextHypothesis(text: "", score: 0, logProbability: 0, tokens: 0)] }
            let sentence = decoded[index]
            return try sentence.hypotheses.enumerated().map { k, h in
                TextHypothesis(text: try bundle.text(h.tokens), score: h.score, logProbability: h.logProbability, tokens: h.tokens.count,
                               attention: k == 0 ? sentence.attention : nil)
            }
        }
    }

    /// Attention maps as JSON: per site, its token labels and [layer][head][query][key] weights
    /// rounded to 4 decimals (what a heat map can show), so a sentence's maps stay a few hundred KB.
    static func attentionJSON(_ maps: AttentionMaps) -> JSONValue {
        func weight(_ x: Float) -> JSONValue { x.isFinite ? .number(String(format: "%.4g", x)) : .null }
        return .object([("source", .string(maps.input)), ("output", maps.output.map { .string($0) } ?? .null),
                        ("sites", .array(maps.sites.map { site in
            .object([("site", .string(site.site.rawValue)), ("title", .string(site.site.title)),
                     ("query_tokens", .array(site.queryTokens.map { .string($0) })),
                     ("key_tokens", .array(site.keyTokens.map { .string($0) })),
                     ("query_axis", .string(site.queryAxis)), ("key_axis", .string(site.keyAxis)),
                     ("layers", .array(site.layers.map { heads in .array(heads.map { rows in .array(rows.map { row in .array(row.map(weight)) }) }) }))])
        }))])
    }
}
