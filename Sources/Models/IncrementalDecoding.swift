// Autoregressive decoding with a KV cache (the paper, §3.1: the decoder is auto-regressive,
// consuming the previously generated symbols as input when generating the next): each step
// feeds only the new tokens at their absolute positions and returns the next-token logits.
import Layers

extension EncoderDecoderModel {
    /// Decoding state for `rows` target sequences over an encoded batch; row r translates source
    /// `sourceRows[r]` (default: row r). Cross-attention keys and values are computed here, once.
    public func startDecoding(memory: Tensor, sourcePadding: Tensor?, sourceRows: [Int]? = nil, capacity: Int = 64) -> IncrementalState {
        let rows = sourceRows ?? Array(0..<memory.shape[0])
        return decoder.makeState(rows: rows.count, capacity: capacity, memory: memory, sourcePadding: sourcePadding, sourceRows: rows)
    }

    /// int32 tokens [R, T] at positions state.position..<+T → logits [R, V] for the token after the last.
    public func decodeStep(_ tokens: Tensor, state: IncrementalState) -> Tensor {
        config.requireOutputHead()
        let h = decoder.step(targetEmbedding(tokens, offset: state.position), state: state)
        return outputLayer(lastPosition(h), inference: true).view([tokens.shape[0], -1])
    }

    /// The most positions a target may have (learned positions have a fixed table), or nil.
    public var positionLimit: Int? { config.positional == .learned ? config.maxLen : nil }
}

extension DecoderOnlyModel {
    /// Decoding state for `rows` sequences.
    public func startDecoding(rows: Int, capacity: Int = 64) -> IncrementalState {
        decoder.makeState(rows: rows, capacity: capacity)
    }

    /// int32 tokens [R, T] (a prompt, then one token per step) → logits [R, V] for the next token.
    public func decodeStep(_ tokens: Tensor, state: IncrementalState) -> Tensor {
        config.requireOutputHead()
        let h = lastPosition(decoder.step(embedding(tokens, offset: state.position), state: state))
        return outputLayer(h, inference: true).view([tokens.shape[0], -1])
    }

    public var positionLimit: Int? { config.positional == .learned ? config.maxLen : nil }
}

/// [R, T, d] → [R, 1, d]: only the last position's output predicts the next token.
func lastPosition(_ h: Tensor) -> Tensor {
    let t = h.shape[1]
    return t == 1 ? h : h.slice(axis: 1, (t - 1)..<t)
}
