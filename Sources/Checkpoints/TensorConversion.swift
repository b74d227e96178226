// Moving tensors between safetensors files and the tensor engine, with the checks a file
// from elsewhere needs: expected shapes, finite weights, integer ranges.
import Models

extension SafetensorsFile {
    /// A float tensor (F32/F16/BF16/F64 stored), checked against `shape` when given. Every value
    /// must be finite: a NaN or ∞ in a weight only shows up later as NaN outputs, or not at all
    /// (attention over scores that are all NaN once gave zeros and a plausible translation).
    public func tensor(_ name: String, shape expected: [Int]? = nil) throws -> Tensor {
        let entry = try entry(name)
        if let expected, entry.shape != expected {
            throw CheckpointError.invalidShape(file: path, tensor: name, reason: "expected \(expected), found \(entry.shape)")
        }
        let values = try floats(name)
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw CheckpointError.nonFiniteValue(file: path, tensor: name, index: bad, value: "\(values[bad])")
        }
        return Tensor(values, shape: entry.shape)
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

extension SafetensorsTensor {
    /// A float tensor stored as `format` (f32, f16 or bf16).
    public init(name: String, tensor: Tensor, format: FloatFormat = .f32) {
        self.init(name: name, shape: tensor.shape, floats: tensor.scalars, format: format)
    }
}
