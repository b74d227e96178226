// The gradient norm of each encoder and decoder layer (Xiong et al. 2020, Fig. 3: at
// initialization, Post-LN's grow toward the top of the stack, Pre-LN's stay level). A layer's
// parameters are those named `encoder.layers.i.…` or `decoder.layers.i.…`.
import Foundation
import Training

struct LayerGradientNorms {
    /// The number of updates before the measurement (0: at initialization).
    let update: Int
    /// ‖∂L/∂θ‖ over the parameters of each layer, bottom first.
    let encoder: [Double]
    let decoder: [Double]

    /// The gradient of the loss on `batch`, without dropout (so the measurement draws none of the
    /// training's dropout masks and leaves its run as it was), grouped by layer; the gradients are cleared after.
    init(_ model: TrainableModel, batch: TrainingBatch, update: Int) {
        let module = model.module
        module.train(false)
        defer { module.train(true) }
        let out = model.targetLogits(batch)
        model.loss(logits: out.logits, targets: out.targets).backward()
        var squares: [String: [Int: Double]] = ["encoder": [:], "decoder": [:]]
        for (name, tensor) in module.namedParameters() {
            let parts = name.split(separator: ".", maxSplits: 3)
            guard parts.count > 2, parts[1] == "layers", let stack = squares[String(parts[0])], let layer = Int(parts[2]) else { continue }
            let norm = GradientClipping.globalNorm([tensor])
            squares[String(parts[0])] = stack.merging([layer: norm * norm], uniquingKeysWith: +)
        }
        module.zeroGrad()
        func norms(_ stack: String) -> [Double] {
            let byLayer = squares[stack] ?? [:]
            return (0..<((byLayer.keys.max() ?? -1) + 1)).map { (byLayer[$0] ?? 0).squareRoot() }
        }
        (self.update, encoder, decoder) = (update, norms("encoder"), norms("decoder"))
    }

    /// The first training pairs, up to about `maxTokens` target tokens: the same batch for every measurement.
    static func probeBatch(_ data: ExperimentData, maxTokens: Int) -> TrainingBatch? {
        var examples: [Example] = [], tokens = 0
        for e in data.train.examples where tokens < maxTokens {
            examples.append(e)
            tokens += e.target.count + 1
        }
        guard !examples.isEmpty, let pad = data.tokenizer.padID, let bos = data.tokenizer.bosID, let eos = data.tokenizer.eosID else { return nil }
        return TrainingBatch.collate(examples, padId: Int32(pad), bosId: Int32(bos), eosId: Int32(eos))
    }
}
