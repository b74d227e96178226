// The encoder and decoder stacks (the paper, §3.1): N identical layers, optionally followed
// by a final norm (needed with Pre-LN; torch.nn.Transformer always has one).

public final class Encoder: Module {
    public let layers: [EncoderLayer]
    public let norm: (Module & Normalizing)?

    public init(layers: [EncoderLayer], norm: (Module & Normalizing)?) {
        self.layers = layers
        self.norm = norm
        super.init()
    }

    public func callAsFunction(_ x: Tensor, mask: AttentionMask) -> Tensor {
        var h = x
        for layer in layers { h = layer(h, mask: mask) }
        return norm.map { $0(h) } ?? h
    }
}

public final class Decoder: Module {
    public let layers: [DecoderLayer]
    public let norm: (Module & Normalizing)?

    public init(layers: [DecoderLayer], norm: (Module & Normalizing)?) {
        self.layers = layers
        self.norm = norm
        super.init()
    }

    public func callAsFunction(_ x: Tensor, selfMask: AttentionMask, memory: Tensor? = nil, memoryMask: AttentionMask = .none) -> Tensor {
        var h = x
        for layer in layers { h = layer(h, selfMask: selfMask, memory: memory, memoryMask: memoryMask) }
        return norm.map { $0(h) } ?? h
    }
}
