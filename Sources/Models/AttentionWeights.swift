// Turning attention-weight capture on and off for a whole model (see `AttentionCapture`): every
// attention layer records into one recorder under its site (encoder self-attention, decoder
// self-attention, cross-attention) and its layer index.
import Layers

extension Encoder {
    func capture(into recorder: AttentionRecorder?) {
        for (i, layer) in layers.enumerated() {
            layer.selfAttention.attention.capture = recorder.map { AttentionCapture(recorder: $0, site: .encoder, layer: i) }
        }
    }
}

extension Decoder {
    func capture(into recorder: AttentionRecorder?) {
        for (i, layer) in layers.enumerated() {
            let selfCapture = recorder.map { AttentionCapture(recorder: $0, site: .decoder, layer: i) }
            switch layer.attentionKind {
            case .multiHead(let m): m.attention.capture = selfCapture
            case .latent(let m): m.attention.capture = selfCapture
            }
            layer.crossAttention?.attention.capture = recorder.map { AttentionCapture(recorder: $0, site: .cross, layer: i) }
        }
    }
}

extension EncoderDecoderModel {
    /// Records every attention call's weights into `recorder` from now on; nil stops recording.
    public func captureAttention(into recorder: AttentionRecorder?) {
        encoder.capture(into: recorder)
        decoder.capture(into: recorder)
    }
}

extension DecoderOnlyModel {
    /// Records every attention call's weights into `recorder` from now on; nil stops recording.
    public func captureAttention(into recorder: AttentionRecorder?) { decoder.capture(into: recorder) }
}

extension EncoderOnlyModel {
    /// Records every attention call's weights into `recorder` from now on; nil stops recording.
    public func captureAttention(into recorder: AttentionRecorder?) { encoder.capture(into: recorder) }
}

extension AnyTransformerModel {
    /// Records every attention call's weights into `recorder` from now on; nil stops recording.
    public func captureAttention(into recorder: AttentionRecorder?) {
        switch self {
        case .encoderDecoder(let m): m.captureAttention(into: recorder)
        case .decoderOnly(let m): m.captureAttention(into: recorder)
        case .encoderOnly(let m): m.captureAttention(into: recorder)
        }
    }
}
