// Positional encodings (the paper, §3.5), and the choice among them. The absolute ones are
// added to the embeddings; RoPE rotates queries and keys; ALiBi biases attention scores.
import Foundation

public enum PositionalEncodingKind: String, Codable, Sendable, CaseIterable {
    case sinusoidal, learned, rope, alibi
}

/// Where the sines and cosines of a sinusoidal encoding sit: interleaved (the paper's formula,
/// the Annotated Transformer) or in halves, every sine before every cosine (tensor2tensor,
/// fairseq and Marian: columns 0..<⌈d/2⌉ hold sin(pos/10000^(2i/d)), the rest the cosines).
public enum SinusoidalLayout: String, Codable, Sendable, CaseIterable { case interleaved, halves }

/// Sinusoidal encoding: PE(pos, 2i) = sin(pos/10000^(2i/d)), PE(pos, 2i+1) = cos(pos/10000^(2i/d)),
/// positions from 0 (or the same values in `SinusoidalLayout.halves`).
/// Computed for any position, so it works for lengths longer than any seen in training.
public final class SinusoidalPositionalEncoding: Module {
    public let dimension: Int
    public let layout: SinusoidalLayout
    private var table: Buffer
    /// Guards `table`, which grows on demand while several threads may decode with one model. A
    /// table once made is never written again, so readers slice it after letting go of the lock.
    private let growing = NSLock()

    public init(dimension: Int, initialLength: Int = 512, layout: SinusoidalLayout = .interleaved) {
        self.dimension = dimension
        self.layout = layout
        table = Buffer(SinusoidalPositionalEncoding.makeTable(length: initialLength, dimension: dimension, layout: layout))
        super.init()
    }

    static func makeTable(length: Int, dimension d: Int, layout: SinusoidalLayout) -> Tensor {
        let t = Tensor(uninitializedShape: [length, d])
        let sines = (d + 1) / 2
        for pos in 0..<length {
            for i in stride(from: 0, to: d, by: 2) {
                // Double precision, as PyTorch reference code computes the table in float32
                // from exp(-log(10000)·2i/d) (Marian's in float64); the difference is below float rounding.
                let angle = Double(pos) / pow(10000, Double(i) / Double(d))
                let (sine, cosine) = layout == .interleaved ? (i, i + 1) : (i / 2, sines + i / 2)
                t.data[pos * d + sine] = Float(sin(angle))
                if i + 1 < d { t.data[pos * d + cosine] = Float(cos(angle)) }
            }
        }
        return t
    }

    /// Encodings of positions offset..<offset+length: [length, d].
    public func encodings(offset: Int = 0, length: Int) -> Tensor {
        growing.lock()
        if offset + length > table.tensor.shape[0] {
            table.tensor = SinusoidalPositionalEncoding.makeTable(length: max(offset + length, 2 * table.tensor.shape[0]),
                                                                  dimension: dimension, layout: layout)
        }
        let current = table.tensor
        growing.unlock()
        return Kernels.slice(current, axis: 0, range: offset..<(offset + length))
    }

    /// x: [B, T, d] plus the encodings of positions offset..<offset+T.
    public func callAsFunction(_ x: Tensor, offset: Int = 0) -> Tensor {
        x + encodings(offset: offset, length: x.shape[1])
    }
}

/// Learned absolute position embeddings: a trainable [maxLength, d] table.
public final class LearnedPositionalEmbedding: Module {
    public let weight: Tensor

    public init(maxLength: Int, dimension: Int, generator: inout RandomGenerator) {
        weight = parameter([maxLength, dimension], .normal(std: 0.02), generator: &generator)
        super.init()
    }

    public var maxLength: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor, offset: Int = 0) -> Tensor {
        let t = x.shape[1]
        precondition(offset + t <= maxLength,
                     "LearnedPositionalEmbedding: position \(offset + t - 1) beyond the learned maximum \(maxLength - 1)")
        return x + weight.slice(axis: 0, offset..<(offset + t))
    }
}
