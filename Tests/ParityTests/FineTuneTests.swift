// Fine-tuning a Hugging Face directory with our trainer (`"init_from": DIR`): the run starts from
// the directory's weights, config and tokenizer, its loss falls over a few steps on a tiny text,
// its checkpoint exports as a model directory that loads again (with a Marian tokenizer's own
// files), and the run resumes.
import Foundation
import Generation
import Training
import XCTest

final class FineTuneTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("finetune-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    let sentences = ["Zwei Hunde spielen im Schnee.", "Ein Mann sitzt neben dem Fluss.", "Eine Frau liest ein Buch.",
                     "Ein Kind spielt im Garten.", "Zwei Männer gehen über eine Brücke."]

    func config(task: TrainingTask, fixture: String, steps: Int) throws -> TrainingConfig {
        var data: [String: Any]
        if task == .translation {
            try (sentences.joined(separator: "\n") + "\n").write(to: work.appendingPathComponent("src.txt"), atomically: true, encoding: .utf8)
            try (sentences.reversed().joined(separator: "\n") + "\n").write(to: work.appendingPathComponent("tgt.txt"), atomically: true, encoding: .utf8)
            data = ["train_source": "src.txt", "train_target": "tgt.txt", "max_source_length": 40, "max_target_length": 40]
        } else {
            try (String(repeating: sentences.joined(separator: "\n") + "\n", count: 4))
                .write(to: work.appendingPathComponent("lm.txt"), atomically: true, encoding: .utf8)
            data = ["train_text": "lm.txt", "block_size": 24, "valid_fraction": 0, "max_source_length": 32, "max_target_length": 32]
        }
        let root: [String: Any] = [
            "task": task.rawValue, "init_from": HubParityTests.fixtures.appendingPathComponent(fixture).path, "data": data,
            "schedule": ["kind": "constant", "peak_lr": 3e-3, "warmup": 1],
            "training": ["max_steps": steps, "max_tokens": 4096, "log_every": 1, "validate_every": 100, "checkpoint_every": steps, "seed": 3],
        ]
        return try TrainingConfig.parse(JSONSerialization.data(withJSONObject: root), file: "test.json")
    }

    func train(_ config: TrainingConfig, fixture: String) throws -> (RunDirectory, [Double]) {
        let run = RunDirectory(work.appendingPathComponent("run").path)
        let trainer = try TrainingSetup.makeTrainer(config: config, dataDirectory: work.path, run: run, resume: false) { _ in }
        // The run starts from the directory's weights.
        let start = try ModelBundle(directory: HubParityTests.fixtures.appendingPathComponent(fixture).path, tokenizer: false)
        let theirs = Dictionary(uniqueKeysWithValues: start.model.module.namedParameters().map { ($0.name, $0.tensor.scalars) })
        for (name, p) in trainer.model.module.namedParameters() { XCTAssertEqual(p.scalars, theirs[name], name) }
        var losses: [Double] = []
        trainer.onStep = { losses.append($0.loss) }
        try trainer.run()
        return (run, losses)
    }

    func testGPT2FineTunesExportsAndResumes() throws {
        let config = try config(task: .languageModel, fixture: "gpt2", steps: 8)
        let (run, losses) = try train(config, fixture: "gpt2")
        XCTAssertEqual(losses.count, 8)
        XCTAssertLessThan(losses.suffix(2).reduce(0, +), losses.prefix(2).reduce(0, +), "loss falls: \(losses)")
        // GPT-2 has no pad id: its <eos> pads.
        XCTAssertEqual(try run.trainingConfig().model.padId, 149)

        let out = work.appendingPathComponent("model")
        try run.exportModel(to: out, source: .latest)
        let exported = try ModelBundle(directory: out.path)
        let trained = try TrainableModel(config: try run.trainingConfig().model, seed: 0)
        _ = try TrainingCheckpoint.read(from: try run.checkpoint(), module: trained.module, optimizer: nil)
        let weights = Dictionary(uniqueKeysWithValues: trained.module.namedParameters().map { ($0.name, $0.tensor.scalars) })
        for (name, p) in exported.model.module.namedParameters() { XCTAssertEqual(p.scalars, weights[name], name) }
        XCTAssertEqual(try exported.requireTokenizer(for: "test").encode("Zwei Hunde"),
                       try ModelBundle(directory: HubParityTests.fixtures.appendingPathComponent("gpt2").path).requireTokenizer(for: "test").encode("Zwei Hunde"))

        var more = config
        more.training.maxSteps = 10
        let resumed = try TrainingSetup.makeTrainer(config: more, dataDirectory: work.path, run: run, resume: true) { _ in }
        XCTAssertEqual(resumed.state.step, 8)
        try resumed.run()
        XCTAssertEqual(resumed.state.step, 10)
    }

    func testMarianFineTunesAndItsExportTranslates() throws {
        let (run, losses) = try train(try config(task: .translation, fixture: "marian_swish_shared", steps: 6), fixture: "marian_swish_shared")
        XCTAssertLessThan(losses.last ?? .infinity, losses.first ?? 0, "loss falls: \(losses)")
        let out = work.appendingPathComponent("model")
        try run.exportModel(to: out, source: .latest)
        for name in ["source.spm", "target.spm", "vocab.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), name)
        }
        let exported = try ModelBundle(directory: out.path)
        XCTAssertEqual(exported.config.startId, 119, "decoding still starts from Marian's pad id")
        let source = try XCTUnwrap(exported.sourceIDs(sentences[0], limit: InputLengthLimit())).ids
        var options = exported.translationDefaults
        options.beamSize = 1
        options.maxLengthA = 0
        options.maxLengthB = 8
        let tokens = Translator(model: try exported.encoderDecoder(for: "test"), options: options).translate([source])[0][0].tokens
        XCTAssertFalse(tokens.isEmpty)
        XCTAssertFalse(tokens.contains(119), "the pad id is never generated")
    }

    func testInitFromChecksTheTaskAndTheModelSection() throws {
        var c = try config(task: .translation, fixture: "gpt2", steps: 1)
        XCTAssertThrowsError(try TrainingSetup.resolvingInitialModel(c)) { XCTAssertTrue("\($0)".contains("GPT2LMHeadModel"), "\($0)") }
        c = try config(task: .languageModel, fixture: "gpt2", steps: 1)
        c.model.dModel = 64
        XCTAssertThrowsError(try TrainingSetup.resolvingInitialModel(c)) { XCTAssertTrue("\($0)".contains("leave out the model section"), "\($0)") }
        let root: [String: Any] = ["task": "language-model", "init_from": "x", "model_preset": "paper-base", "data": ["train_text": "t"]]
        XCTAssertThrowsError(try TrainingConfig.parse(JSONSerialization.data(withJSONObject: root), file: "t.json")) {
            XCTAssertTrue("\($0)".contains("leave out model_preset"), "\($0)")
        }
        c = try config(task: .languageModel, fixture: "bert_model_pooler", steps: 1)
        XCTAssertThrowsError(try TrainingSetup.resolvingInitialModel(c)) { XCTAssertTrue("\($0)".contains("encoder-only"), "\($0)") }
    }
}
