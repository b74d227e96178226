// Errors of checkpoint reading and writing, each naming the file and, where there is
// one, the tensor at fault.

public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The file cannot hold even the 8-byte header length.
    case fileTooShort(file: String, size: Int)
    /// The declared header length is absurd or runs past the end of the file.
    case invalidHeaderLength(file: String, headerLength: UInt64, fileSize: Int)
    case headerNotUTF8(file: String)
    /// The header is not JSON; `offset` counts from the start of the header.
    case headerNotJSON(file: String, offset: Int, reason: String)
    /// The header is JSON but not shaped like a safetensors header.
    case invalidHeader(file: String, tensor: String?, reason: String)
    case unknownDType(file: String, tensor: String, dtype: String)
    case invalidShape(file: String, tensor: String, reason: String)
    /// shape × dtype size does not fit in an `Int`.
    case shapeOverflow(file: String, tensor: String, shape: String)
    case byteCountMismatch(file: String, tensor: String, expected: Int, actual: Int)
    case invalidOffsets(file: String, tensor: String, begin: UInt64, end: UInt64, bufferSize: Int)
    case overlappingTensors(file: String, tensor: String, other: String)
    /// Bytes of the data buffer that no tensor covers.
    case uncoveredBytes(file: String, begin: Int, end: Int)
    case duplicateName(file: String, tensor: String)
    case tensorNotFound(file: String, tensor: String)
    /// A typed accessor was used on a tensor of another dtype.
    case unsupportedConversion(file: String, tensor: String, dtype: SafetensorsDType, target: String)
    /// An element does not fit the requested type (or a BOOL byte is neither 0 nor 1).
    case valueOutOfRange(file: String, tensor: String, index: Int, target: String)
    /// A weight (or optimizer moment) is NaN or infinite: the model would compute NaN silently.
    case nonFiniteValue(file: String, tensor: String, index: Int, value: String)
    /// A system call failed; `errno` is the C error number.
    case io(file: String, operation: String, errno: Int32)
    /// A zip archive (pytorch_model.bin) that is malformed or not the archive torch.save writes.
    case invalidArchive(file: String, reason: String)
    /// A zip entry stored compressed: torch.save stores every record uncompressed.
    case compressedEntry(file: String, entry: String, method: Int)
    /// A file in torch.save's pre-1.6 format (`_use_new_zipfile_serialization=False`).
    case legacyTorchFormat(file: String)
    /// data.pkl is malformed; `offset` counts from the start of the pickle.
    case invalidPickle(file: String, offset: Int, reason: String)
    /// A pickle opcode outside the few a state dict needs.
    case forbiddenOpcode(file: String, offset: Int, opcode: String)
    /// A pickle global (a Python callable or class) outside the allow-list of a state dict.
    case forbiddenGlobal(file: String, offset: Int, name: String)
    /// A tensor refers to a storage record the archive lacks.
    case missingStorage(file: String, tensor: String, key: String)
    /// A tensor's view (offset, shape, strides) reaches past its storage, or the storage record
    /// does not have the size the pickle declares.
    case storageOutOfBounds(file: String, tensor: String, reason: String)
    /// A sharded checkpoint's index (model.safetensors.index.json) is malformed or disagrees with its shards.
    case invalidIndex(file: String, reason: String)
    /// A model directory holds none of the weight files looked for.
    case noWeights(directory: String, lookedFor: [String])

    public var description: String {
        switch self {
        case let .fileTooShort(file, size):
            return "\(file): file is \(size) bytes, too short for a safetensors file (at least 8 bytes of header length)"
        case let .invalidHeaderLength(file, length, size):
            return "\(file): header length \(length) is invalid for a file of \(size) bytes"
                + " (it must fit in the file after the 8-byte length and be at most \(SafetensorsHeader.maxHeaderLength) bytes)"
        case let .headerNotUTF8(file):
            return "\(file): header is not valid UTF-8"
        case let .headerNotJSON(file, offset, reason):
            return "\(file): header is not valid JSON at byte \(offset) of the header: \(reason)"
        case let .invalidHeader(file, tensor?, reason):
            return "\(file): tensor '\(tensor)': \(reason)"
        case let .invalidHeader(file, nil, reason):
            return "\(file): invalid header: \(reason)"
        case let .unknownDType(file, tensor, dtype):
            return "\(file): tensor '\(tensor)': unknown dtype '\(dtype)'"
        case let .invalidShape(file, tensor, reason):
            return "\(file): tensor '\(tensor)': invalid shape: \(reason)"
        case let .shapeOverflow(file, tensor, shape):
            return "\(file): tensor '\(tensor)': size of shape \(shape) overflows"
        case let .byteCountMismatch(file, tensor, expected, actual):
            return "\(file): tensor '\(tensor)': shape and dtype need \(expected) bytes, found \(actual)"
        case let .invalidOffsets(file, tensor, begin, end, size):
            return "\(file): tensor '\(tensor)': data_offsets [\(begin), \(end)] are invalid"
                + " for a data buffer of \(size) bytes (need begin <= end <= \(size))"
        case let .overlappingTensors(file, tensor, other):
            return "\(file): tensor '\(tensor)' overlaps tensor '\(other)' in the data buffer"
        case let .uncoveredBytes(file, begin, end):
            return "\(file): bytes \(begin)..<\(end) of the data buffer belong to no tensor (hole or trailing bytes)"
        case let .duplicateName(file, tensor):
            return "\(file): tensor name '\(tensor)' appears more than once"
        case let .tensorNotFound(file, tensor):
            return "\(file): no tensor named '\(tensor)'"
        case let .unsupportedConversion(file, tensor, dtype, target):
            return "\(file): tensor '\(tensor)': cannot read dtype \(dtype.rawValue) as \(target)"
        case let .valueOutOfRange(file, tensor, index, target):
            return "\(file): tensor '\(tensor)': element \(index) does not fit in \(target)"
        case let .nonFiniteValue(file, tensor, index, value):
            return "\(file): tensor '\(tensor)': element \(index) is \(value); weights must be finite numbers"
        case let .io(file, operation, code):
            return "\(file): \(operation) failed: \(systemErrorMessage(code))"
        case let .invalidArchive(file, reason):
            return "\(file): not a valid torch.save zip archive: \(reason)"
        case let .compressedEntry(file, entry, method):
            return "\(file): zip entry '\(entry)' is compressed (method \(method)); torch.save stores entries uncompressed"
        case let .legacyTorchFormat(file):
            return "\(file): written in torch.save's legacy format (before PyTorch 1.6, or _use_new_zipfile_serialization=False),"
                + " which cannot be read without running its pickle; re-save it with a current torch:"
                + " torch.save(torch.load(path, weights_only=True), path)"
        case let .invalidPickle(file, offset, reason):
            return "\(file): data.pkl byte \(offset): \(reason)"
        case let .forbiddenOpcode(file, offset, opcode):
            return "\(file): data.pkl byte \(offset): pickle opcode \(opcode) is not allowed in a state dict (loading never runs code)"
        case let .forbiddenGlobal(file, offset, name):
            return "\(file): data.pkl byte \(offset): global '\(name)' is not allowed in a state dict (loading never runs code)"
        case let .missingStorage(file, tensor, key):
            return "\(file): tensor '\(tensor)': storage '\(key)' has no data record in the archive"
        case let .storageOutOfBounds(file, tensor, reason):
            return "\(file): tensor '\(tensor)': \(reason)"
        case let .invalidIndex(file, reason):
            return "\(file): invalid shard index: \(reason)"
        case let .noWeights(directory, names):
            return "\(directory): no weight file found (looked for \(names.joined(separator: ", ")))"
        }
    }
}
