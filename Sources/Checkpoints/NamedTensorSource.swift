// One interface over every weight file we read (a safetensors file, a torch.save file, a
// model directory of either, sharded or not), for the loaders that map checkpoints onto a
// model: the names, each tensor's dtype and shape, and tensors converted to Float32.
import TensorEngine

public protocol NamedTensorSource {
    /// The file (or directory) the tensors come from.
    var path: String { get }
    /// Every tensor's name, in file order.
    var tensorNames: [String] { get }
    /// The stored element type of a tensor, or nil when there is no tensor of that name.
    func dtype(of name: String) -> SafetensorsDType?
    func shape(of name: String) -> [Int]?
    /// A float tensor (F32, F16, BF16 or F64 stored) as Float32, checked against `expected`
    /// when given; a NaN or infinite element is an error naming the tensor and the element.
    func tensor(_ name: String, shape expected: [Int]?) throws -> Tensor
    /// An integer or BOOL tensor's values.
    func int64s(_ name: String) throws -> [Int64]
}

extension SafetensorsFile: NamedTensorSource {
    public var tensorNames: [String] { entries.map(\.name) }
    public func dtype(of name: String) -> SafetensorsDType? { header.entry(named: name)?.dtype }
    public func shape(of name: String) -> [Int]? { header.entry(named: name)?.shape }
}

extension PyTorchFile: NamedTensorSource {
    public var tensorNames: [String] { entries.map(\.name) }
    public func dtype(of name: String) -> SafetensorsDType? { try? entry(name).dtype }
    public func shape(of name: String) -> [Int]? { try? entry(name).shape }
}
