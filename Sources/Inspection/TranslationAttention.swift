// The attention maps of a given translation: the source and the translation's tokens run through
// the model once more, teacher-forced (the paper's training-time pass, §5), with capture on, so the
// maps belong to exactly the hypothesis shown (beam search's best, say) rather than to a greedy
// decode of the same source. Teacher forcing computes the same weights as incremental decoding.
import Generation
import Models

extension AttentionMaps {
    /// Maps of every layer for source ids `source` and output tokens `output` (the <eos> included
    /// when it ended them): encoder self-attention, decoder self-attention over the decoder's inputs
    /// (the start token, then the output less its last token) and cross-attention from each output
    /// token to the source. The caller must not run the model on another thread meanwhile.
    public static func capture(bundle: ModelBundle, source: [Int32], output: [Int32]) throws -> AttentionMaps {
        let model = try bundle.encoderDecoder(for: "attention")
        let tokenizer = try bundle.requireTokenizer(for: "attention")
        guard !source.isEmpty else { throw AttentionMapsError("the source is empty") }
        guard !output.isEmpty else { throw AttentionMapsError("the translation is empty") }
        let inputs = [Int32(model.config.startId)] + output.dropLast()
        let recorder = AttentionRecorder()
        model.captureAttention(into: recorder)
        defer { model.captureAttention(into: nil) }
        _ = withNoGrad {
            let (memory, padding) = model.encode(Tensor(ints: source, shape: [1, source.count]), padding: nil)
            return model.decode(Tensor(ints: inputs, shape: [1, inputs.count]), memory: memory, sourcePadding: padding)
        }
        let labels = { (ids: [Int32]) in ids.map { tokenLabel($0, tokenizer: tokenizer) } }
        return AttentionMaps(input: tokenizer.decode(source, skipSpecial: true), output: try bundle.text(output), sites: [
            try siteMaps(recorder, .encoder, labels(source), labels(source), "source token (query)", "source token (key)"),
            try siteMaps(recorder, .decoder, labels(inputs), labels(inputs), "decoder input (query)", "decoder input (key)"),
            try siteMaps(recorder, .cross, labels(output), labels(source), "generated token", "source token"),
        ])
    }
}
