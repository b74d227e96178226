// Moving tensors between safetensors files and the tensor engine, with the checks a file
// from elsewhere needs: expected shapes, finite weights, integer ranges.
import Foundation
import Models

extension SafetensorsFile {
    /// A float tensor (F32/F16/BF16/F64 stored) as Float32, checked against `shape` when given;
    /// every value must be finite (see `firstNonFinite`). Contiguous F32 data is not copied: the
    /// tensor views the mapped file.
    public func tensor(_ name: String, shape expected: [Int]? = nil) throws -> Tensor {
        try stored(name).floatTensor(in: file, expected: expected)
    }

    /// An integer tensor (token ids) as int32, every value in 0..<limit.
    public func ids(_ name: String, below limit: Int) throws -> Tensor {
        let entry = try entry(name)
        let values = try int64s(name)
        if let bad = values.firstIndex(where: { $0 < 0 || $0 >= Int64(limit) }) {
            throw CheckpointError.valueOutOfRange(file: path, tensor: name, index: bad, target: "token id in 0..<\(limit) (found \(values[bad]))")
        }
        return Tensor(ints: values.map { Int32($0) }, shape: entry.shape)
    }
}

/// The index of the first NaN or infinity in `values`, or nil. A NaN or ∞ in a weight only shows
/// up later as NaN outputs, or not at all (attention over scores that are all NaN once gave zeros
/// and a plausible translation), so loading refuses them. A vector pass decides whether
/// there is one: an exponent of all ones, plus one at the exponent's lowest bit, carries into
/// the sign bit, which no finite magnitude reaches. Only then a scalar scan finds where.
func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
    let raw = UnsafeRawBufferPointer(values)
    let magnitude = SIMD16<UInt32>(repeating: 0x7FFF_FFFF), carry = SIMD16<UInt32>(repeating: 0x0080_0000)
    var any = SIMD16<UInt32>(repeating: 0)
    var i = 0
    while i + 16 <= values.count {
        any |= (raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<UInt32>.self) & magnitude) &+ carry
        i += 16
    }
    var top = any.max()  // has the sign bit set if any lane has
    while i < values.count {
        top |= (values[i].bitPattern & 0x7FFF_FFFF) &+ 0x0080_0000
        i += 1
    }
    guard top & 0x8000_0000 != 0 else { return nil }
    return values.firstIndex { !$0.isFinite }
}

extension SafetensorsTensor {
    /// A float tensor stored as `format` (f32, f16 or bf16).
    public init(name: String, tensor: Tensor, format: FloatFormat = .f32) {
        self.init(name: name, shape: tensor.shape, floats: tensor.scalars, format: format)
    }
}

extension Tensor {
    /// `Shape.count(shape)` float elements from element `offset` on, as a tensor sharing this
    /// one's storage (a part of a packed weight, in place).
    func view(offset: Int, shape: [Int]) -> Tensor {
        let s = storage, count = Shape.count(shape)
        precondition(offset >= 0 && (offset + count) * 4 <= s.byteCount)
        return Tensor(viewing: Storage(borrowing: s.pointer + offset * 4, byteCount: count * 4, release: { withExtendedLifetime(s) {} }),
                      shape: shape, dtype: .float32)
    }
}
