// What torch.save's data.pkl may call, interpreted without Python: the allow-list of globals a
// state dict needs (the peer's torch/_weights_only_unpickler.py allows more; these are the
// ones torch.save writes for tensors, parameters and OrderedDicts), REDUCE and BUILD on them,
// and persistent ids ('storage', storage type, key, location, numel) naming the storage
// records archive/data/<key>.

/// An allowed global, by its Python name.
enum TorchGlobal: Equatable {
    case orderedDict
    case rebuildTensor
    case rebuildParameter
    case storageType(SafetensorsDType)

    static let allowed: [String: TorchGlobal] = [
        "collections.OrderedDict": .orderedDict,
        "torch._utils._rebuild_tensor_v2": .rebuildTensor,
        "torch._utils._rebuild_parameter": .rebuildParameter,
        "torch.FloatStorage": .storageType(.f32),
        "torch.HalfStorage": .storageType(.f16),
        "torch.BFloat16Storage": .storageType(.bf16),
        "torch.DoubleStorage": .storageType(.f64),
        "torch.LongStorage": .storageType(.i64),
        "torch.IntStorage": .storageType(.i32),
        "torch.ShortStorage": .storageType(.i16),
        "torch.CharStorage": .storageType(.i8),
        "torch.ByteStorage": .storageType(.u8),
        "torch.BoolStorage": .storageType(.bool),
    ]

    var name: String { Self.allowed.first { $0.value == self }?.key ?? "?" }
}

/// A storage as the pickle declares it: record key, element type and element count.
struct TorchStorage: Equatable {
    let key: String
    let dtype: SafetensorsDType
    let count: Int
}

/// torch._utils._rebuild_tensor_v2's view of a storage: offset, shape and strides in elements.
struct TorchTensor {
    let storage: TorchStorage
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

extension Unpickler {
    func global(module: String, name: String, at offset: Int) throws -> PickleValue {
        guard let global = TorchGlobal.allowed["\(module).\(name)"] else {
            throw CheckpointError.forbiddenGlobal(file: file, offset: offset, name: "\(module).\(name)")
        }
        return .global(global)
    }

    /// Calls an allowed global with `arguments`.
    mutating func reduce(_ function: TorchGlobal, _ arguments: [PickleValue], at offset: Int) throws -> PickleValue {
        func wrong() -> CheckpointError {
            invalid("\(function.name) called with (\(arguments.map(\.kindName).joined(separator: ", ")))", at: offset)
        }
        switch function {
        case .orderedDict:
            guard arguments.isEmpty else { throw wrong() }
            // An OrderedDict's items follow as SETITEMS; it is made like any dict.
            return .dict(newDict())
        case .rebuildTensor:
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard arguments.count == 6 || arguments.count == 7,
                  case .storage(let storage) = arguments[0], case .int(let storageOffset) = arguments[1],
                  let shape = integers(arguments[2]), let strides = integers(arguments[3]),
                  case .bool = arguments[4], case .dict = arguments[5]
            else { throw wrong() }
            guard storageOffset >= 0, shape.count == strides.count,
                  shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 })
            else { throw invalid("tensor view with offset \(storageOffset), size \(shape), stride \(strides) is invalid", at: offset) }
            if arguments.count == 7 {
                // Set only for the conjugate and negative bits, whose lazy values we do not compute.
                switch arguments[6] {
                case .none: break
                case .dict(let metadata) where metadata.items.isEmpty: break
                default: throw invalid("tensor metadata (conjugate or negative bit) is not supported", at: offset)
                }
            }
            return .tensor(TorchTensor(storage: storage, offset: storageOffset, shape: shape, strides: strides))
        case .rebuildParameter:
            // (data, requires_grad, backward_hooks): a Parameter is its tensor here.
            guard arguments.count == 3, case .tensor = arguments[0], case .bool = arguments[1], case .dict = arguments[2] else {
                throw wrong()
            }
            return arguments[0]
        case .storageType:
            throw wrong()
        }
    }

    /// BUILD sets an object's state; an OrderedDict's is its `_metadata` attribute (module
    /// versions), which loading does not need.
    func build(_ object: PickleValue, state: PickleValue, at offset: Int) throws {
        guard case .dict = object, case .dict = state else {
            throw invalid("BUILD of \(object.kindName) with \(state.kindName)", at: offset)
        }
    }

    /// persistent_load: ('storage', storage type, key, location, numel).
    mutating func persistentLoad(_ id: PickleValue, at offset: Int) throws -> PickleValue {
        guard case .tuple(let fields, _) = id, fields.count == 5, case .string("storage") = fields[0],
              case .global(.storageType(let dtype)) = fields[1], case .string(let key) = fields[2],
              case .string = fields[3], case .int(let count) = fields[4], count >= 0
        else { throw invalid("persistent id \(id.kindName) is not ('storage', type, key, location, numel)", at: offset) }
        let storage = TorchStorage(key: key, dtype: dtype, count: count)
        if let known = storages[key], known != storage {
            throw invalid("storage '\(key)' declared as \(known.count) \(known.dtype.rawValue) and as \(count) \(dtype.rawValue)", at: offset)
        }
        storages[key] = storage
        return .storage(storage)
    }

    private func integers(_ value: PickleValue) -> [Int]? {
        guard case .tuple(let items, _) = value else { return nil }
        var out: [Int] = []
        for item in items {
            guard case .int(let n) = item else { return nil }
            out.append(n)
        }
        return out
    }
}
