// `transformer inspect`: parameters per component and KV-cache bytes per token of a config, a
// preset, or a model directory (ours or a Hugging Face one, read without its weights).
import ArgumentParser
import Checkpoints
import Foundation
import Generation
import Models

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's parameters per component and its KV-cache bytes per generated token.",
        discussion: """
            Compare attention variants at a glance, e.g.
              transformer inspect --preset paper-base
              transformer inspect --preset paper-base --attention gqa --kv-heads 2
              transformer inspect --preset paper-base --attention mla --family decoder-only
              transformer inspect --model path/to/opus-mt-de-en        # a Hugging Face directory
            """)

    @Option(help: "A named preset: \(TransformerConfig.presetNames.joined(separator: ", ")).")
    var preset: String?

    @Option(help: "A config JSON file (a model directory's config.json works too).")
    var config: String?

    @Option(help: "A model directory: ours, or a Hugging Face one (Marian, GPT-2, BERT, Llama).")
    var model: String?

    @Option(help: "Override the model family: \(ModelFamily.allCases.map(\.rawValue).joined(separator: ", ")).")
    var family: String?

    @Option(help: "Override the attention: mha, gqa, mqa, mla.")
    var attention: String?

    @Option(help: "Override the number of key/value heads (GQA).")
    var kvHeads: Int?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        if [preset, config, model].compactMap({ $0 }).count != 1 { throw ValidationError("give exactly one of --preset, --config or --model") }
    }

    func run() throws {
        var c: TransformerConfig
        var architecture: HubArchitecture?
        if let preset {
            c = try TransformerConfig.preset(preset)
        } else if let model {
            let description = try ModelBundle.describe(directory: model)
            (c, architecture) = (description.config, description.architecture)
        } else if let config {
            var url = URL(fileURLWithPath: config)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
                url.appendPathComponent("config.json")
            }
            c = try TransformerConfig.load(from: url)
        } else {
            throw ValidationError("give exactly one of --preset, --config or --model")
        }
        if let family {
            guard let f = ModelFamily(rawValue: family) else { throw ValidationError("unknown --family '\(family)'") }
            c.family = f
        }
        if let attention {
            guard let a = AttentionKind(rawValue: attention) else { throw ValidationError("unknown --attention '\(attention)'") }
            c.attention = a
        }
        if let kvHeads { c.kvHeads = kvHeads }
        try c.validate()
        let summary = try ModelSummary(config: c)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            return
        }
        let width = max(30, summary.components.map(\.name.count).max() ?? 0)
        func row(_ name: String, _ value: String) { print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
        print("\(c.family.rawValue), d_model \(c.dModel), heads \(c.heads) (kv \(c.attention == .mla ? "latent" : String(c.keyValueHeads))), "
              + "layers \(c.encoderLayers)+\(c.decoderLayers), d_ff \(c.ff), attention \(c.attention.rawValue), "
              + "\(c.normFirst ? "Pre-LN" : "Post-LN"), \(c.positional.rawValue) positions")
        if let architecture {
            print("Hugging Face \(architecture.rawValue): \(c.norm.rawValue), \(c.activation.rawValue), vocabulary \(c.outputVocab), "
                  + (c.outputHead ? "output layer \(c.tieOutput ? "tied to the embedding" : "of its own")" : "no output layer (hidden states)"))
        }
        row("component", "parameters")
        for comp in summary.components { row(comp.name, grouped(comp.parameters)) }
        row("total", grouped(summary.totalParameters))
        print("KV cache per generated token (fp32, all layers): \(grouped(summary.kvCacheBytesPerToken)) bytes")
        if summary.crossAttentionBytesPerSourceToken > 0 {
            print("cross-attention K/V per source token (computed once): \(grouped(summary.crossAttentionBytesPerSourceToken)) bytes")
        }
    }

    private func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.reversed().enumerated() { if i > 0 && i % 3 == 0 { out.append(",") }; out.append(ch) }
        return String(out.reversed())
    }
}
