// The weights of a Hugging Face model directory behind one name-to-tensor lookup, whatever
// files the hub shipped: model.safetensors; sharded model-0000k-of-0000n.safetensors with
// model.safetensors.index.json; pytorch_model.bin; or its shards with
// pytorch_model.bin.index.json (looked for in that order, then our own weights.safetensors).
// A shard index must agree with its shards exactly: every listed shard exists, every name
// lies in the shard the index says, and no tensor is in two shards.
import Foundation
import JSONText
import TensorEngine

public final class CheckpointTensors: NamedTensorSource {
    /// The directory, or the file for a single weight file.
    public let path: String
    /// The weight files read, in shard order.
    public let files: [String]
    /// Every tensor's name, shard by shard in file order.
    public let tensorNames: [String]
    private let sources: [any NamedTensorSource]
    private let sourceOfName: [String: Int]

    /// The files `open(directory:)` looks for, in order.
    public static let weightFileNames = [
        "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json",
        "weights.safetensors",
    ]

    /// The weights of the model directory `directory` (see `weightFileNames`).
    public static func open(directory: URL) throws -> CheckpointTensors {
        let dir = directory.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) else {
            throw CheckpointError.io(file: dir, operation: "open model directory", errno: ENOENT)
        }
        guard isDirectory.boolValue else { throw CheckpointError.io(file: dir, operation: "open model directory", errno: ENOTDIR) }
        for name in weightFileNames {
            let file = directory.appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: file) else { continue }
            return name.hasSuffix(".index.json") ? try CheckpointTensors(index: file) : try CheckpointTensors(path: file)
        }
        throw CheckpointError.noWeights(directory: dir, lookedFor: weightFileNames)
    }

    /// One weight file, safetensors or torch.save (told apart by content, not by name).
    public convenience init(path: String) throws {
        try self.init(path: path, files: [path], sources: [Self.openFile(path)])
    }

    /// A sharded checkpoint: the index (`*.index.json`) and the shards it lists beside it.
    public convenience init(index path: String) throws {
        func invalid(_ reason: String) -> CheckpointError { .invalidIndex(file: path, reason: reason) }
        let weightMap = try Self.readWeightMap(path)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        var shards: [String] = []
        for (tensor, shard) in weightMap where !shards.contains(shard) {
            // Shards are files beside the index: a path could reach anywhere on the disk.
            guard !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw invalid("shard name '\(shard)' (for '\(tensor)') is not a file name")
            }
            guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(shard).path) else {
                throw invalid("shard '\(shard)' (listed for '\(tensor)') does not exist")
            }
            shards.append(shard)
        }
        let sources = try shards.map { try Self.openFile(directory.appendingPathComponent($0).path) }
        var holder: [String: String] = [:]
        for (shard, source) in zip(shards, sources) {
            for name in source.tensorNames {
                if let other = holder[name] { throw invalid("tensor '\(name)' is in two shards, '\(other)' and '\(shard)'") }
                holder[name] = shard
            }
        }
        let listed = Dictionary(uniqueKeysWithValues: weightMap.map { ($0.tensor, $0.shard) })
        for (tensor, shard) in weightMap where holder[tensor] != shard {
            throw invalid(holder[tensor].map { "weight_map puts '\(tensor)' in '\(shard)', but it is in '\($0)'" }
                          ?? "weight_map puts '\(tensor)' in '\(shard)', which does not hold it")
        }
        if let (name, shard) = holder.first(where: { listed[$0.key] == nil }) {
            throw invalid("shard '\(shard)' holds '\(name)', which weight_map does not list")
        }
        try self.init(path: path, files: sources.map(\.path), sources: sources)
    }

    private init(path: String, files: [String], sources: [any NamedTensorSource]) throws {
        var names: [String] = []
        var sourceOfName: [String: Int] = [:]
        for (i, source) in sources.enumerated() {
            for name in source.tensorNames {
                guard sourceOfName.updateValue(i, forKey: name) == nil else { throw CheckpointError.duplicateName(file: path, tensor: name) }
                names.append(name)
            }
        }
        (self.path, self.files, self.sources, self.tensorNames, self.sourceOfName) = (path, files, sources, names, sourceOfName)
    }

    /// The `weight_map` of a shard index: {"metadata": {...}, "weight_map": {tensor: shard file}}.
    private static func readWeightMap(_ path: String) throws -> [(tensor: String, shard: String)] {
        func invalid(_ reason: String) -> CheckpointError { .invalidIndex(file: path, reason: reason) }
        let file = try FileBytes(mapping: path)
        let root: JSONValue
        do throws(JSONParseError) {
            root = try JSONValue.parse(Array(file.bytes), maxDepth: 16)
        } catch {
            throw invalid("not JSON at byte \(error.offset): \(error.reason)")
        }
        guard case .object(let members) = root, case .object(let map)? = root["weight_map"] else {
            throw invalid("expected an object with a \"weight_map\" object")
        }
        guard members.filter({ $0.key == "weight_map" }).count == 1 else { throw invalid("\"weight_map\" appears more than once") }
        var seen = Set<String>()
        return try map.map { tensor, value in
            guard case .string(let shard) = value else { throw invalid("shard of '\(tensor)' is \(value.kindName), not a string") }
            guard seen.insert(tensor).inserted else { throw invalid("'\(tensor)' appears more than once in weight_map") }
            return (tensor, shard)
        }
    }

    /// A safetensors file's JSON header starts at byte 8 with "{"; anything else is taken for torch.save.
    static func openFile(_ path: String) throws -> any NamedTensorSource {
        let file = try FileBytes(mapping: path)
        if file.count > 8, file.bytes[8] == UInt8(ascii: "{") { return try SafetensorsFile(file: file) }
        if file.bytes.starts(with: [0x50, 0x4B]) || file.bytes.first == 0x80 { return try PyTorchFile(file: file) }
        return try SafetensorsFile(file: file)
    }

    private func source(_ name: String) throws -> any NamedTensorSource {
        guard let i = sourceOfName[name] else { throw CheckpointError.tensorNotFound(file: path, tensor: name) }
        return sources[i]
    }

    public func dtype(of name: String) -> SafetensorsDType? { (try? source(name))?.dtype(of: name) }
    public func shape(of name: String) -> [Int]? { (try? source(name))?.shape(of: name) }

    /// See `NamedTensorSource.tensor(_:shape:)`; errors name the shard the tensor is in.
    public func tensor(_ name: String, shape expected: [Int]? = nil) throws -> Tensor {
        try source(name).tensor(name, shape: expected)
    }

    /// Gives back the resident pages of the file bytes `tensor` views, once they were copied
    /// elsewhere (packed, transposed): see `FileBytes.releasePages`. Other tensors do nothing.
    func releasePages(viewedBy tensor: Tensor) {
        releasePages(at: tensor.storage.pointer, byteCount: tensor.storage.byteCount)
    }

    func releasePages(at pointer: UnsafeRawPointer, byteCount: Int) {
        for source in sources {
            ((source as? SafetensorsFile)?.file ?? (source as? PyTorchFile)?.file)?.releasePages(at: pointer, byteCount: byteCount)
        }
    }

    /// Whether two float tensors hold bit-identical values (tied copies of one weight), compared a
    /// few megabytes at a time, each part's file pages given back once compared: a hub file can
    /// hold a large embedding three or four times over, and none of the copies needs to be resident.
    func sameValues(_ a: Tensor, _ b: Tensor) -> Bool {
        guard a.shape == b.shape else { return false }
        let total = a.count * 4, chunk = 4 << 20
        for start in stride(from: 0, to: total, by: chunk) {
            let n = min(chunk, total - start)
            let (p, q) = (UnsafeRawPointer(a.storage.pointer) + start, UnsafeRawPointer(b.storage.pointer) + start)
            let equal = memcmp(p, q, n) == 0
            releasePages(at: p, byteCount: n)
            releasePages(at: q, byteCount: n)
            if !equal { return false }
        }
        return true
    }

    public func int64s(_ name: String) throws -> [Int64] {
        try source(name).int64s(name)
    }
}
