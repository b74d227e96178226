// pytorch_model.bin and other torch.save files (PyTorch 1.6 and later): a zip archive of
// stored records under one top folder: data.pkl (the pickled state dict), data/<key> (each
// storage's raw little-endian bytes, 64-byte aligned), byteorder, version and friends. The
// pickle runs in Unpickler, which never runs code; tensors are strided views of storages,
// and contiguous F32 ones view the mapped file in place.
import TensorEngine

/// One tensor of a torch.save file, without its data.
public struct PyTorchTensorEntry: Sendable, Equatable {
    /// The state-dict key; keys of nested dicts are joined with dots ("model.encoder.weight").
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// Element strides and the first element's index in the storage, as torch recorded them.
    public let strides: [Int]
    public let storageOffset: Int
    /// The storage record (data/<key>); tensors that share storage share the key.
    public let storageKey: String
}

/// A torch.save zip archive, mapped into memory and validated: every tensor's view lies
/// within its storage record.
public struct PyTorchFile: Sendable {
    public let path: String
    /// The tensors in the order of the state dict.
    public let entries: [PyTorchTensorEntry]
    let file: FileBytes
    private let stored: [String: StoredTensor]
    private let indexByName: [String: Int]

    /// How the pickle of the legacy format starts: protocol 2, then the magic number
    /// 0x1950a86a20f9469cfc6c as a 10-byte LONG1.
    private static let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// State dicts nest a level or two (a training checkpoint's "model"); cycles end here.
    static let maxDictDepth = 16

    public init(path: String) throws {
        try self.init(file: FileBytes(mapping: path))
    }

    /// Parses a whole file held in memory (copied); `name` stands for the path in errors.
    public init(bytes: [UInt8], name: String = "<memory>") throws {
        try self.init(file: FileBytes(copying: bytes, name: name))
    }

    init(file: FileBytes) throws {
        let path = file.path
        if file.bytes.starts(with: Self.legacyMagic) { throw CheckpointError.legacyTorchFormat(file: path) }
        let zip = try ZipArchive(file)
        let records = Dictionary(zip.entries.map { ($0.name, $0.range) }, uniquingKeysWith: { first, _ in first })
        let pickles = zip.entries.filter { $0.name.hasSuffix("/data.pkl") && $0.name.filter { $0 == "/" }.count == 1 }
        guard pickles.count == 1 else {
            throw CheckpointError.invalidArchive(
                file: path, reason: pickles.isEmpty ? "no <folder>/data.pkl record" : "more than one data.pkl record")
        }
        let folder = String(pickles[0].name.dropLast("data.pkl".count))
        if let order = records[folder + "byteorder"], file[order] != Array("little".utf8) {
            throw CheckpointError.invalidArchive(
                file: path, reason: "byte order '\(String(decoding: file[order].prefix(16), as: UTF8.self))' is not little-endian")
        }

        let tensors = try Unpickler.load(UnsafeRawBufferPointer(rebasing: file.bytes[pickles[0].range]), file: path) {
            try Self.stateDict($0, file: path)
        }
        var entries: [PyTorchTensorEntry] = []
        var stored: [String: StoredTensor] = [:]
        for (name, tensor) in tensors {
            let storage = tensor.storage
            guard let record = records[folder + "data/" + storage.key] else {
                throw CheckpointError.missingStorage(file: path, tensor: name, key: storage.key)
            }
            stored[name] = try Self.view(tensor, name: name, in: record, fileSize: file.count, file: path)
            entries.append(PyTorchTensorEntry(
                name: name, dtype: storage.dtype, shape: tensor.shape, strides: tensor.strides,
                storageOffset: tensor.offset, storageKey: storage.key))
        }
        (self.path, self.file, self.entries, self.stored) = (path, file, entries, stored)
        indexByName = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    /// The tensors of a state dict: a dict whose values are tensors or dicts of them (keys joined
    /// with dots). Other values (a step count, a config string) are not tensors and are skipped.
    private static func stateDict(_ root: PickleValue, file: String) throws -> [(String, TorchTensor)] {
        guard case .dict(let dict) = root else {
            throw CheckpointError.invalidArchive(file: file, reason: "data.pkl holds \(root.kindName), not a state dict")
        }
        var out: [(String, TorchTensor)] = []
        var names = Set<String>()
        func visit(_ dict: PickleDict, prefix: String, depth: Int) throws {
            guard depth <= maxDictDepth else {
                throw CheckpointError.invalidArchive(file: file, reason: "dicts nested more than \(maxDictDepth) deep under '\(prefix)'")
            }
            for (key, value) in dict.items {
                let name: String
                switch key {
                case .string(let s): name = prefix + s
                case .int(let n): name = prefix + String(n)
                }
                switch value {
                case .tensor(let tensor):
                    guard names.insert(name).inserted else { throw CheckpointError.duplicateName(file: file, tensor: name) }
                    out.append((name, tensor))
                case .dict(let inner):
                    try visit(inner, prefix: name + ".", depth: depth + 1)
                default:
                    continue
                }
            }
        }
        try visit(dict, prefix: "", depth: 1)
        return out
    }

    /// Checks that the storage record holds what the pickle declares and that every element of
    /// the view lies within it.
    private static func view(
        _ tensor: TorchTensor, name: String, in record: Range<Int>, fileSize: Int, file: String
    ) throws -> StoredTensor {
        let storage = tensor.storage
        let size = storage.dtype.bitWidth / 8
        let (bytes, overflow) = storage.count.multipliedReportingOverflow(by: size)
        guard !overflow, bytes == record.count else {
            throw CheckpointError.storageOutOfBounds(
                file: file, tensor: name,
                reason: "storage '\(storage.key)' holds \(record.count) bytes, not \(storage.count) elements of \(storage.dtype.rawValue)")
        }
        guard let count = elementCount(of: tensor.shape) else {
            throw CheckpointError.shapeOverflow(file: file, tensor: name, shape: "\(tensor.shape)")
        }
        // Zero strides (expanded views) let a few stored elements stand for many: the file's size
        // bounds the count, so that no shape can ask for a huge allocation.
        guard count <= fileSize else {
            throw CheckpointError.storageOutOfBounds(
                file: file, tensor: name, reason: "a view of \(count) elements is larger than a file of \(fileSize) bytes can hold")
        }
        var byteOffset = record.lowerBound
        if count > 0 {
            // The last element's index: offset + Σ (size_i - 1) · stride_i.
            var last = tensor.offset
            var fits = true
            for (dim, stride) in zip(tensor.shape, tensor.strides) {
                let (step, o1) = (dim - 1).multipliedReportingOverflow(by: stride)
                let (sum, o2) = last.addingReportingOverflow(step)
                fits = fits && !o1 && !o2
                last = sum
            }
            guard fits, last < storage.count else {
                throw CheckpointError.storageOutOfBounds(
                    file: file, tensor: name,
                    reason: "view (offset \(tensor.offset), size \(tensor.shape), stride \(tensor.strides)) reaches past"
                        + " storage '\(storage.key)' of \(storage.count) elements")
            }
            byteOffset += tensor.offset * size
        }
        return StoredTensor(
            name: name, dtype: storage.dtype, shape: tensor.shape, count: count, strides: tensor.strides, byteOffset: byteOffset)
    }

    public func entry(_ name: String) throws -> PyTorchTensorEntry {
        guard let i = indexByName[name] else { throw CheckpointError.tensorNotFound(file: path, tensor: name) }
        return entries[i]
    }

    /// A float tensor (float32, float16, bfloat16 or float64 stored) as Float32, checked against
    /// `expected` when given; every value must be finite. Contiguous float32 data is not copied.
    public func tensor(_ name: String, shape expected: [Int]? = nil) throws -> Tensor {
        try storedTensor(name).floatTensor(in: file, expected: expected)
    }

    /// A float tensor's values in row-major order, not checked for NaN or infinity.
    public func floats(_ name: String) throws -> [Float] {
        try storedTensor(name).floats(in: file)
    }

    /// An integer or bool tensor as Int64 values.
    public func int64s(_ name: String) throws -> [Int64] {
        try storedTensor(name).integers(in: file, as: Int64.self)
    }

    /// An integer or bool tensor as Int32 values; elements outside Int32's range throw.
    public func int32s(_ name: String) throws -> [Int32] {
        try storedTensor(name).integers(in: file, as: Int32.self)
    }

    private func storedTensor(_ name: String) throws -> StoredTensor {
        guard let tensor = stored[name] else { throw CheckpointError.tensorNotFound(file: path, tensor: name) }
        return tensor
    }
}
