// int8 weights in safetensors (`transformer export --dtype int8`), quantized as int8 inference runs
// them: each row of a linear layer's weight or of an embedding table symmetrically, scale =
// max|row| / 127, stored as `<name>` I8 [rows, cols] (values −127...127) beside `<name>.scale` F32
// [rows]; the weight is value × scale. Every other parameter (biases, norms, positions) stays F32.
// Any precision can load such a file: int8 packs the stored values as they are, float32 and
// bfloat16 dequantize them.
import Models
import TensorEngine

/// How `ModelDirectory.save` stores a model's weights.
public enum WeightFormat: String, CaseIterable, Sendable {
    case f32, f16, bf16, int8
}

public enum Int8Weights {
    /// The suffix of the scales tensor beside an I8 weight.
    public static let scaleSuffix = ".scale"

    /// A 2-D weight as its I8 values and F32 scales.
    public static func tensors(name: String, weight: Tensor) -> [SafetensorsTensor] {
        let (values, scales) = Kernels.quantizeRows(weight)
        return [SafetensorsTensor(name: name, dtype: .i8, shape: weight.shape, bytes: values.map { UInt8(bitPattern: $0) }),
                SafetensorsTensor(name: name + scaleSuffix, shape: [weight.shape[0]], floats: scales)]
    }

    /// The I8 weight `name` of shape `shape` and its scales, checked: values in −127...127 (symmetric
    /// quantization never makes −128), scales finite and not negative.
    static func read(_ file: SafetensorsFile, name: String, shape: [Int]) throws -> (values: [Int8], scales: [Float]) {
        let entry = try file.entry(name)
        guard entry.shape == shape, shape.count == 2 else {
            throw CheckpointError.invalidShape(file: file.path, tensor: name, reason: "expected \(shape), found \(entry.shape)")
        }
        let scaleName = name + scaleSuffix
        guard let scaleEntry = file.header.entry(named: scaleName) else {
            throw CheckpointError.invalidHeader(file: file.path, tensor: name, reason: "I8 weight without its scales \(scaleName)")
        }
        guard scaleEntry.dtype == .f32, scaleEntry.shape == [shape[0]] else {
            throw CheckpointError.invalidShape(file: file.path, tensor: scaleName,
                                               reason: "expected F32 [\(shape[0])], found \(scaleEntry.dtype.rawValue) \(scaleEntry.shape)")
        }
        let values = try file.bytes(name).map { Int8(bitPattern: $0) }
        if let bad = values.firstIndex(of: -128) {
            throw CheckpointError.valueOutOfRange(file: file.path, tensor: name, index: bad, target: "int8 weight in -127...127 (found -128)")
        }
        let scales = try file.floats(scaleName)
        if let bad = scales.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
            throw CheckpointError.valueOutOfRange(file: file.path, tensor: scaleName, index: bad,
                                                  target: "finite, non-negative scale (found \(scales[bad]))")
        }
        return (values, scales)
    }

    /// value × scale for every element, into `p` ([rows, cols]).
    static func dequantize(_ values: [Int8], scales: [Float], into p: Tensor) {
        let cols = p.shape[1], d = p.data
        for i in 0..<values.count { d[i] = Float(values[i]) * scales[i / cols] }
        p.markModified()
    }
}
