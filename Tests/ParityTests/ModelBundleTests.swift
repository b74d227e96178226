// Hugging Face directories with their tokenizers, run as the commands run them — through
// ModelBundle, text in and text out — against transformers (scripts/hub_model_fixtures.py):
// Marian translation greedy and with generation_config.json's beam settings, GPT-2 and Llama
// greedy continuations (streamed), sentence-transformers embeddings; and directories of no known
// layout refused with a message saying what was looked for.
import Checkpoints
import Foundation
import Generation
import JSONText
import Models
import Tokenization
import XCTest

final class ModelBundleTests: XCTestCase {
    static let hub = HubParityTests.fixtures

    func bundle(_ name: String) throws -> ModelBundle { try ModelBundle(directory: ModelBundleTests.hub.appendingPathComponent(name).path) }

    func json(_ name: String, _ file: String) throws -> JSONValue {
        try JSONValue.parse(Array(try Data(contentsOf: ModelBundleTests.hub.appendingPathComponent(name).appendingPathComponent(file))))
    }

    func ints(_ v: JSONValue?) -> [[Int32]] { (v?.array ?? []).map { ($0.array ?? []).compactMap { $0.double.map { Int32($0) } } } }
    func strings(_ v: JSONValue?) -> [String] { (v?.array ?? []).compactMap(\.string) }

    // MARK: Marian

    func checkTranslation(_ name: String) throws {
        let b = try bundle(name)
        let expected = try json(name, "translation.json")
        let sentences = strings(expected["sentences"])
        XCTAssertEqual(sentences.count, 3)
        let sources = try sentences.map { try XCTUnwrap(b.sourceIDs($0, limit: InputLengthLimit())).ids }
        XCTAssertEqual(sources, ints(expected["source_ids"]), "\(name): source ids as MarianTokenizer gives them")
        let newTokens = Int(expected["new_tokens"]?.double ?? 0)
        // Training targets as MarianTokenizer's text_target encodes them: target.spm (and target_vocab.json), then </s>.
        let target = try Tokenizer.loadTarget(fileOrDirectory: ModelBundleTests.hub.appendingPathComponent(name).path)
        XCTAssertEqual(sentences.map { target.encode($0, addSpecial: true) }, ints(expected["target_ids"]), "\(name): target ids")

        // generation_config.json: num_beams 3, max_length 64 (the decoder start included), transformers' penalty.
        let defaults = b.translationDefaults
        XCTAssertEqual(defaults.beamSize, 3)
        XCTAssertEqual(defaults.maxLengthA, 0)
        XCTAssertEqual(defaults.maxLengthB, 63)
        XCTAssertEqual(defaults.lengthPenalty, 1)
        XCTAssertEqual(defaults.lengthNormalization, .power)
        XCTAssertEqual(defaults.beamStopping, .noBetterHypothesis)

        var options = defaults
        options.maxLengthB = newTokens
        options.beamSize = 1
        let translator = Translator(model: try b.encoderDecoder(for: "test"), options: options)
        let greedy = translator.translate(sources).map { $0[0].tokens }
        XCTAssertEqual(greedy, ints(expected["greedy_ids"]), "\(name): greedy tokens")
        XCTAssertEqual(try greedy.map(b.text), strings(expected["greedy"]), "\(name): greedy text")
        translator.options.beamSize = defaults.beamSize
        let beam = translator.translate(sources).map { $0[0].tokens }
        XCTAssertEqual(beam, ints(expected["beam_ids"]), "\(name): beam tokens with generation_config.json's settings")
        XCTAssertEqual(try beam.map(b.text), strings(expected["beam"]), "\(name): beam text")
        XCTAssertNil(try b.sourceIDs("  ", limit: InputLengthLimit()), "a blank line has no source")
    }

    func testMarianSharedVocabularyTranslatesAsTransformers() throws { try checkTranslation("marian_swish_shared") }
    func testMarianSeparateVocabulariesTranslatesAsTransformers() throws { try checkTranslation("marian_relu_separate_vocab") }

    func testLongSourceIsCutKeepingItsEndOfSentence() throws {
        let b = try bundle("marian_swish_shared")
        let cut = try XCTUnwrap(b.sourceIDs("Zwei Hunde spielen im Schnee.", limit: InputLengthLimit(maxTokens: 5)))
        XCTAssertEqual(cut.ids.count, 5)
        XCTAssertEqual(cut.ids.last, Int32(b.config.eosId))
        XCTAssertNotNil(cut.originalCount)
    }

    // MARK: GPT-2 and Llama

    func checkGeneration(_ name: String) throws {
        let b = try bundle(name)
        let expected = try json(name, "generation.json")
        let prompts = strings(expected["prompts"]), newTokens = Int(expected["new_tokens"]?.double ?? 0)
        let lm = try b.decoderOnly(for: "test")
        let tokenizer = try b.requireTokenizer(for: "test")
        for (i, prompt) in prompts.enumerated() {
            let ids = try b.promptIDs(prompt, limit: InputLengthLimit()).ids
            XCTAssertEqual(ids, ints(expected["prompt_ids"])[i], "\(name): prompt \(i) ids")
            var sampler = Sampler(temperature: 0, seed: 1)
            var stream = TextStream(tokenizer: tokenizer, prompt: ids)
            var streamed = stream.shown
            let out = LanguageModelGeneration.run(model: lm, prompt: ids, maxNewTokens: newTokens, sampler: &sampler,
                                                  stopTokens: b.stopTokens) { token in
                streamed += stream.append(token)
                return true
            }
            streamed += stream.finish()
            let want = ints(expected["greedy_ids"])[i]
            // transformers' output keeps the <eos> that ended it; ours stops before it.
            XCTAssertEqual(out, want.last.map { b.stopTokens.contains($0) } == true ? Array(want.dropLast()) : want, "\(name): greedy \(i)")
            XCTAssertEqual(try b.text(out), strings(expected["greedy"])[i], "\(name): greedy text \(i)")
            XCTAssertEqual(streamed, tokenizer.decode(ids + out), "\(name): the stream adds up to the whole text")
        }
    }

    func testGPT2GeneratesAsTransformers() throws { try checkGeneration("gpt2") }
    func testLlamaGeneratesAsTransformers() throws { try checkGeneration("llama_gqa2") }

    func testEmptyPromptStartsFromBos() throws {
        let b = try bundle("gpt2")
        XCTAssertEqual(try b.promptIDs("", limit: InputLengthLimit()).ids, [149])
    }

    // MARK: Sentence embeddings

    func testSentenceTransformersEmbeddings() throws {
        let b = try bundle("sentence_bert")
        let expected = try json("sentence_bert", "embeddings.json")
        let settings = try b.embeddingDefaults()
        XCTAssertEqual(settings.pooling, .mean)
        XCTAssertTrue(settings.normalize)
        XCTAssertEqual(settings.maxTokens, 16)
        let lines = strings(expected["lines"])
        var cut: [Int] = []
        let ours = try b.embed(lines, settings: settings, limit: InputLengthLimit(), batchSize: lines.count) { i, _, kept in
            XCTAssertEqual(kept, 16)
            cut.append(i)
        }
        XCTAssertTrue(cut.contains(lines.count - 1) && !cut.contains(lines.firstIndex(of: "") ?? -1), "cut to max_seq_length: \(cut)")
        assertClose(ours, expected["embeddings"], "mean + Normalize")
        // One at a time: padding in a batch changes nothing.
        let alone = try lines.map { try b.embed([$0], settings: settings, limit: InputLengthLimit())[0] }
        assertClose(alone, expected["embeddings"], "one line per batch")
        var cls = settings
        cls.pooling = .cls
        cls.normalize = false
        assertClose(try b.embed(lines, settings: cls, limit: InputLengthLimit()), expected["cls"], "[CLS] hidden state")
    }

    func assertClose(_ ours: [[Float]], _ theirs: JSONValue?, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let want = (theirs?.array ?? []).map { ($0.array ?? []).compactMap { $0.double.map(Float.init) } }
        XCTAssertEqual(ours.count, want.count, what, file: file, line: line)
        for (a, b) in zip(ours, want) {
            XCTAssertEqual(a.count, b.count, what, file: file, line: line)
            let scale = max(b.map(abs).max() ?? 1, 1e-4)
            let error = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(error / scale, 1e-4, "\(what): relative error \(error / scale)", file: file, line: line)
        }
    }

    func testEmbeddingSettingsFromClassicPoolingFlags() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(#"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]"#.utf8)
            .write(to: dir.appendingPathComponent("modules.json"))
        try Data(#"{"word_embedding_dimension":8,"pooling_mode_cls_token":true,"pooling_mode_mean_tokens":false}"#.utf8)
            .write(to: dir.appendingPathComponent("1_Pooling/config.json"))
        try Data(#"{"max_seq_length":128,"do_lower_case":false}"#.utf8).write(to: dir.appendingPathComponent("sentence_bert_config.json"))
        let s = try EmbeddingSettings.read(directory: dir)
        XCTAssertEqual(s.pooling, .cls)
        XCTAssertFalse(s.normalize)
        XCTAssertEqual(s.maxTokens, 128)
        try Data(#"{"pooling_mode_max_tokens":true}"#.utf8).write(to: dir.appendingPathComponent("1_Pooling/config.json"))
        XCTAssertThrowsError(try EmbeddingSettings.read(directory: dir)) { XCTAssertTrue("\($0)".contains("max is not supported"), "\($0)") }
        try Data(#"[{"type":"sentence_transformers.models.Dense","path":"2_Dense"}]"#.utf8).write(to: dir.appendingPathComponent("modules.json"))
        XCTAssertThrowsError(try EmbeddingSettings.read(directory: dir)) { XCTAssertTrue("\($0)".contains("Dense is not supported"), "\($0)") }
    }

    func testGenerationSettingsNotAppliedAreReported() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("marian-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: ModelBundleTests.hub.appendingPathComponent("marian_swish_shared"), to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertEqual(try ModelBundle(directory: dir.path).warnings, [])
        try Data(#"{"decoder_start_token_id":119,"eos_token_id":0,"pad_token_id":119,"forced_eos_token_id":0,"no_repeat_ngram_size":3,"bad_words_ids":[[119],[5,6]]}"#.utf8)
            .write(to: dir.appendingPathComponent("generation_config.json"))
        let b = try ModelBundle(directory: dir.path)
        XCTAssertEqual(b.warnings.count, 2, "\(b.warnings)")
        XCTAssertTrue(b.warnings[0].contains("no_repeat_ngram_size 3"))
        XCTAssertTrue(b.warnings[1].contains("bad_words_ids"))
        XCTAssertEqual(b.translationDefaults.forcedAtCap, 0)
    }

    // MARK: Every fixture loads, and the wrong family is named

    func testEveryHubFixtureLoadsAndDescribesItsParameters() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: ModelBundleTests.hub.path).sorted() {
            let path = ModelBundleTests.hub.appendingPathComponent(name).path
            let b = try ModelBundle(directory: path, tokenizer: false)
            let summary = try ModelSummary(config: try ModelBundle.describe(directory: path).config)
            XCTAssertEqual(summary.totalParameters, b.model.module.parameterCount, name)
        }
        let gpt2 = try bundle("gpt2")
        XCTAssertThrowsError(try gpt2.encoderDecoder(for: "translate")) { XCTAssertTrue("\($0)".contains("GPT2LMHeadModel"), "\($0)") }
    }

    // MARK: Bad input

    func testDirectoriesOfNoKnownLayoutSayWhatWasLookedFor() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func message() -> String {
            do { _ = try ModelBundle(directory: dir.path); return "no error" } catch { return "\(error)" }
        }
        for wanted in ["no config.json", "weights.safetensors", "model_type", "model.safetensors", "pytorch_model.bin", "index.json"] {
            XCTAssertTrue(message().contains(wanted), message())
        }
        try Data(#"{"d_model": 8}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        XCTAssertTrue(message().contains("has no model_type and there is no weights.safetensors"), message())
        try Data(#"{"model_type": "t5"}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        XCTAssertTrue(message().contains("'t5' is not supported") && message().contains("MarianMTModel"), message())
        try Data("{}".utf8).write(to: dir.appendingPathComponent("training.json"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("checkpoints"), withIntermediateDirectories: true)
        XCTAssertTrue(message().contains("training run directory"), message())
        XCTAssertThrowsError(try ModelBundle(directory: dir.appendingPathComponent("missing").path)) {
            XCTAssertTrue("\($0)".contains("does not exist"), "\($0)")
        }
        // A model without a tokenizer: loading for text says so.
        XCTAssertThrowsError(try bundle("bert_mlm")) { XCTAssertTrue("\($0)".contains("no usable tokenizer"), "\($0)") }
        XCTAssertNoThrow(try ModelBundle(directory: ModelBundleTests.hub.appendingPathComponent("bert_mlm").path, tokenizer: false))
    }
}
