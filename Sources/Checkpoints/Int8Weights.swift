// int8 weights in safetensors (`transformer export --dtype int8`), quantized as int8 inference runs
// them: each row of a linear layer's weight or of an embedding table symmetrically, scale =
// max|row| / 127, stored as `<name>` I8 [rows, cols] (values −127...127) beside `<name>.scale` F32
// [rows]; the weight is value × scale. Every other parameter (biases, norms, positions) stays F32.
// Any precision can load such a file: int8 packs the stored values as they are, float32 and
// bfloat16 dequantize them.
import Models
import TensorEngine

public enum Int8Weights {
    /// The suffix of the scales tensor beside an I8 weight.
    public static let scaleSuffix = ".scale"

    /// A 2-D weight as its I8 values and F32 scales.
    public static func tensors(name: String, weight: Tensor) -> [SafetensorsTensor] {
        let (values, scales) = Kernels.quantizeRows(weight)
        return [SafetensorsTensor(name: name, dtype: .i8, shape: weight.shape, bytes: values.map { UInt8(bitPattern: $0) }),
                SafetensorsTensor(name: name + scaleSuffix, shape: [weight.shape[0]], floats: scales)]
    }

    /// An I8 weight as stored: values [rows, cols] row-major and one scale per row.
    struct Stored {
        let values: [Int8]
        let scales: [Float]
        let shape: [Int]

        /// value × scale for every element, as float32.
        func dequantized() -> Tensor {
            let out = Tensor(uninitializedShape: shape), d = out.data, cols = shape[1]
            for i in 0..<values.count { d[i] = Float(values[i]) * scales[i / cols] }
            return out
        }

        /// Packed for int8 inference as they are (nothing quantized twice), with `bias`.
        func packed(bias: Tensor?) -> PackedWeight {
            PackedWeight(int8Values: values, scales: scales, outputs: shape[0], inputs: shape[1], bias: bias)
        }
    }

    /// The I8 weight `name` of shape `shape` and its scales, checked: values in −127...127 (symmetric
    /// quantization never makes −128), scales finite and not negative.
    static func read(_ file: SafetensorsFile, name: String, shape: [Int]) throws -> Stored {
        let entry = try file.entry(name)
        guard shape.count == 2 else {
            throw CheckpointError.invalidHeader(file: file.path, tensor: name, reason: "stored as I8, but only linear and embedding weights may be")
        }
        guard entry.shape == shape else {
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
        return Stored(values: values, scales: scales, shape: shape)
    }

    /// Only weights that inference packs (linear layers' and embedding tables') may be stored in int8.
    static func checkPackable(_ names: Set<String>, in module: Module, file: String) throws {
        let packable = module.packableLayers()
        for (name, tensor) in module.namedParameters() where names.contains(name) && packable[ObjectIdentifier(tensor)] == nil {
            throw CheckpointError.invalidHeader(file: file, tensor: name, reason: "stored as I8, but only linear and embedding weights may be")
        }
    }
}
