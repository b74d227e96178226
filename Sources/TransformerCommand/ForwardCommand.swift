// `transformer forward`: one forward (and optionally backward) pass of a model directory on
// token ids from a safetensors file; writes logits, loss and gradients to compare with PyTorch.
import ArgumentParser
import Checkpoints
import Foundation
import Models

struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run a model on token ids and write logits (and loss and gradients) to safetensors.",
        discussion: """
            IN holds int64 token ids. Encoder-decoder: `src` [B,S], `tgt_in` [B,T], and `tgt_out` [B,T] for --loss.
            Decoder-only and encoder-only: `ids` [B,T], and `targets` [B,T] for --loss. Positions equal to the
            config's pad_id are padding. OUT receives `logits` [B,T,V]; with --loss also `loss` (label-smoothed
            cross-entropy, mean over non-pad targets) and `grad.<name>` for every weight, under the names the
            weights were loaded with (PyTorch state_dict names for the PyTorch reference layout).
            """)

    @Option(help: "Model directory (config.json + weights.safetensors).")
    var model: String

    @Option(help: "Input safetensors file with int64 token ids.")
    var inputs: String

    @Option(help: "Output safetensors file (written atomically).")
    var output: String

    @Flag(help: "Also compute the loss and every weight's gradient.")
    var loss = false

    func run() throws {
        let loaded = try ModelDirectory.load(URL(fileURLWithPath: model))
        let c = loaded.config
        let file = try SafetensorsFile(path: inputs)
        func ids(_ name: String, vocab: Int) throws -> Tensor {
            let t = try file.ids(name, below: vocab)
            guard t.rank == 2, t.shape[0] > 0, t.shape[1] > 0 else {
                throw ValidationError("\(inputs): tensor '\(name)' must be [B, T] with B, T > 0, found \(t.shape)")
            }
            // Learned positions exist only up to max_len; the other encodings work at any length.
            if c.positional == .learned && t.shape[1] > c.maxLen {
                throw ValidationError("\(inputs): tensor '\(name)' has length \(t.shape[1]), beyond the model's max_len \(c.maxLen) (learned positions)")
            }
            return t
        }
        func sameShape(_ a: Tensor, _ b: Tensor, _ names: String) throws {
            guard a.shape == b.shape else { throw ValidationError("\(inputs): \(names) must have the same shape (\(a.shape) vs \(b.shape))") }
        }
        let module = loaded.model.module
        var outputs: [SafetensorsTensor] = []
        let compute = { () throws -> (Tensor, Tensor?) in
            switch loaded.model {
            case .encoderDecoder(let m):
                let src = try ids("src", vocab: c.srcVocab), tgtIn = try ids("tgt_in", vocab: c.tgtVocab)
                guard src.shape[0] == tgtIn.shape[0] else { throw ValidationError("\(inputs): src and tgt_in differ in batch size") }
                let logits = m(source: src, targetIn: tgtIn)
                guard loss else { return (logits, nil) }
                let tgtOut = try ids("tgt_out", vocab: c.tgtVocab)
                try sameShape(tgtIn, tgtOut, "tgt_in and tgt_out")
                return (logits, m.loss(logits: logits, targets: tgtOut))
            case .decoderOnly(let m):
                let x = try ids("ids", vocab: c.tgtVocab)
                let logits = m(x)
                guard loss else { return (logits, nil) }
                let y = try ids("targets", vocab: c.tgtVocab)
                try sameShape(x, y, "ids and targets")
                return (logits, m.loss(logits: logits, targets: y))
            case .encoderOnly(let m):
                let x = try ids("ids", vocab: c.srcVocab)
                let logits = m(x)
                guard loss else { return (logits, nil) }
                let y = try ids("targets", vocab: c.srcVocab)
                try sameShape(x, y, "ids and targets")
                return (logits, m.loss(logits: logits, targets: y))
            }
        }
        let (logits, lossValue) = loss ? try GradMode.withGrad(compute) : try withNoGrad(compute)
        outputs.append(SafetensorsTensor(name: "logits", tensor: logits))
        if let lossValue {
            guard lossValue.item().isFinite else { throw ValidationError("the loss is not finite (\(lossValue.item()))") }
            outputs.append(SafetensorsTensor(name: "loss", tensor: lossValue.view([])))
            module.zeroGrad()
            lossValue.backward()
            let grads = loaded.layout == .pytorch
                ? ModelDirectory.pytorchGradients(of: module, config: c)
                : module.namedParameters().map { ($0.name, $0.tensor.grad ?? Tensor(zeros: $0.tensor.shape)) }
            for (name, g) in grads { outputs.append(SafetensorsTensor(name: "grad.\(name)", tensor: g)) }
        }
        try SafetensorsWriter.write(outputs, to: output)
        print("wrote \(output): logits \(logits.shape)" + (lossValue.map { String(format: ", loss %.6f", $0.item()) } ?? ""))
    }
}
