// `transformer forward`: one forward (and optionally backward) pass of a model directory on
// token ids from a safetensors file; writes logits, hidden states, loss and gradients to compare
// with PyTorch or transformers.
import ArgumentParser
import Checkpoints
import Foundation
import Generation
import Models

struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run a model on token ids and write logits, hidden states (and loss and gradients) to safetensors.",
        discussion: """
            MODEL is one of our model directories or a Hugging Face one (Marian, GPT-2, BERT, Llama). \
            IN holds int64 token ids. Encoder-decoder: `src` [B,S], `tgt_in` [B,T], and `tgt_out` [B,T] for --loss. \
            Decoder-only and encoder-only: `ids` [B,T], and `targets` [B,T] for --loss. Padding: an optional \
            `attention_mask` [B,S or T] (1 = token, 0 = padding, as transformers takes it) for `src` or `ids`; \
            without one, positions equal to the config's pad_id are padding (none for GPT-2 and Llama). \
            Encoder-only models with token types take an optional `token_type_ids` [B,T] (default 0). \
            OUT receives `hidden` [B,T,d] (the last hidden states; the decoder's, with `encoder_hidden` [B,S,d] \
            beside them) and, where the model has an output layer, `logits` [B,T,V]; with --loss also `loss` \
            (label-smoothed cross-entropy, mean over non-pad targets) and `grad.<name>` for every weight, under \
            the names the weights were loaded with (PyTorch state_dict names for the PyTorch reference layout, \
            ours otherwise).
            """)

    @Option(help: "Model directory (config.json + weights.safetensors, or a Hugging Face directory).")
    var model: String

    @Option(help: "Input safetensors file with int64 token ids.")
    var inputs: String

    @Option(help: "Output safetensors file (written atomically).")
    var output: String

    @Flag(help: "Also compute the loss and every weight's gradient.")
    var loss = false

    @Option(help: InferencePrecision.help)
    var precision: InferencePrecision?

    func validate() throws {
        if loss && precision.map({ $0 != .f32 }) == true {
            throw ValidationError("--loss takes gradients, which float32 weights give: use --precision f32")
        }
    }

    func run() throws {
        let loaded = try loadBundle(model, tokenizer: false, precision: precision)
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
        /// Key padding (1 = padding) from `attention_mask` when the file has one.
        func padding(for x: Tensor, _ name: String) throws -> Tensor? {
            guard file.header.entry(named: "attention_mask") != nil else { return nil }
            let mask = try file.ids("attention_mask", below: 2)
            try sameShape(mask, x, "attention_mask and \(name)")
            return Tensor(mask.intScalars.map { $0 == 0 ? Float(1) : 0 }, shape: mask.shape)
        }
        func requireHead() throws {
            guard c.outputHead else { throw ValidationError("--loss needs an output layer; this model gives hidden states only") }
        }
        let module = loaded.model.module
        var outputs: [SafetensorsTensor] = []
        let compute = { () throws -> (hidden: Tensor, logits: Tensor?, loss: Tensor?) in
            switch loaded.model {
            case .encoderDecoder(let m):
                let src = try ids("src", vocab: c.srcVocab), tgtIn = try ids("tgt_in", vocab: c.tgtVocab)
                guard src.shape[0] == tgtIn.shape[0] else { throw ValidationError("\(inputs): src and tgt_in differ in batch size") }
                let (memory, sourcePadding) = m.encode(src, padding: try padding(for: src, "src"))
                outputs.append(SafetensorsTensor(name: "encoder_hidden", tensor: memory))
                let hidden = m.decode(tgtIn, memory: memory, sourcePadding: sourcePadding)
                let logits = c.outputHead ? m.project(hidden) : nil
                guard loss, let logits else { return (hidden, logits, nil) }
                let tgtOut = try ids("tgt_out", vocab: c.tgtVocab)
                try sameShape(tgtIn, tgtOut, "tgt_in and tgt_out")
                return (hidden, logits, m.loss(logits: logits, targets: tgtOut))
            case .decoderOnly(let m):
                let x = try ids("ids", vocab: c.tgtVocab)
                let hidden = m.hidden(x, keyPadding: try padding(for: x, "ids"))
                let logits = c.outputHead ? m.project(hidden) : nil
                guard loss else { return (hidden, logits, nil) }
                try requireHead()
                let y = try ids("targets", vocab: c.tgtVocab)
                try sameShape(x, y, "ids and targets")
                return (hidden, logits, logits.map { m.loss(logits: $0, targets: y) })
            case .encoderOnly(let m):
                let x = try ids("ids", vocab: c.srcVocab)
                var types: Tensor?
                if c.typeVocab > 0 && file.header.entry(named: "token_type_ids") != nil {
                    let given = try file.ids("token_type_ids", below: c.typeVocab)
                    try sameShape(x, given, "ids and token_type_ids")
                    types = given
                }
                let hidden = m.hidden(x, keyPadding: try padding(for: x, "ids"), typeIds: types)
                let logits = c.outputHead ? m.project(hidden) : nil
                guard loss else { return (hidden, logits, nil) }
                try requireHead()
                let y = try ids("targets", vocab: c.srcVocab)
                try sameShape(x, y, "ids and targets")
                return (hidden, logits, logits.map { m.loss(logits: $0, targets: y) })
            }
        }
        let (hidden, logits, lossValue) = loss ? try GradMode.withGrad(compute) : try withNoGrad(compute)
        outputs.append(SafetensorsTensor(name: "hidden", tensor: hidden))
        if let logits { outputs.append(SafetensorsTensor(name: "logits", tensor: logits)) }
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
        let shapes = (logits.map { "logits \($0.shape), " } ?? "") + "hidden \(hidden.shape)"
        print("wrote \(output): \(shapes)" + (lossValue.map { String(format: ", loss %.6f", $0.item()) } ?? ""))
    }
}
