// The part of Python's pickle (protocols 2 to 5; see Lib/pickletools.py) that torch.save uses
// for a state dict, run as data: opcodes build dicts, lists, tuples, strings and numbers, and
// the only callables are the few torch globals of TorchPickle.swift, interpreted here and
// never looked up. Every other opcode or global is an error naming it and its byte offset,
// so loading a checkpoint never runs code.

final class PickleList { var items: [PickleValue] = [] }

/// A dict in insertion order; keys are strings or integers (a state dict's names, an
/// optimizer's parameter indices), and setting a key again replaces its value in place.
final class PickleDict {
    enum Key: Hashable { case string(String), int(Int) }
    private(set) var items: [(key: Key, value: PickleValue)] = []
    private var index: [Key: Int] = [:]

    func set(_ key: Key, _ value: PickleValue) {
        if let i = index[key] { items[i].value = value } else {
            index[key] = items.count
            items.append((key, value))
        }
    }

    func removeAll() { (items, index) = ([], [:]) }
}

enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    /// `depth` counts nested tuples, which are bounded so that freeing them cannot overflow the stack.
    case tuple([PickleValue], depth: Int)
    case list(PickleList)
    case dict(PickleDict)
    case global(TorchGlobal)
    case storage(TorchStorage)
    case tensor(TorchTensor)

    var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "a bool"
        case .int: return "an integer"
        case .float: return "a float"
        case .string: return "a string"
        case .tuple(let items, _): return "a tuple of \(items.count)"
        case .list: return "a list"
        case .dict: return "a dict"
        case .global(let g): return "global \(g.name)"
        case .storage: return "a storage"
        case .tensor: return "a tensor"
        }
    }
}

struct Unpickler {
    /// The opcodes a state dict needs; the raw values are pickle's.
    private enum Op: UInt8 {
        case proto = 0x80, frame = 0x95, stop = 0x2E, mark = 0x28
        case emptyDict = 0x7D, dict = 0x64, setItem = 0x73, setItems = 0x75
        case emptyList = 0x5D, list = 0x6C, append = 0x61, appends = 0x65
        case emptyTuple = 0x29, tuple = 0x74, tuple1 = 0x85, tuple2 = 0x86, tuple3 = 0x87
        case binPut = 0x71, longBinPut = 0x72, memoize = 0x94, binGet = 0x68, longBinGet = 0x6A
        case binInt = 0x4A, binInt1 = 0x4B, binInt2 = 0x4D, long1 = 0x8A
        case binUnicode = 0x58, shortBinUnicode = 0x8C, binUnicode8 = 0x8D
        case none = 0x4E, newTrue = 0x88, newFalse = 0x89, binFloat = 0x47
        case global = 0x63, stackGlobal = 0x93, reduce = 0x52, build = 0x62, binPersId = 0x51
    }

    /// Names of the pickle opcodes left out, for errors.
    private static let otherOpcodes: [UInt8: String] = [
        0x49: "INT", 0x4C: "LONG", 0x8B: "LONG4", 0x53: "STRING", 0x54: "BINSTRING", 0x55: "SHORT_BINSTRING",
        0x42: "BINBYTES", 0x43: "SHORT_BINBYTES", 0x8E: "BINBYTES8", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER",
        0x98: "READONLY_BUFFER", 0x56: "UNICODE", 0x46: "FLOAT", 0x8F: "EMPTY_SET", 0x90: "ADDITEMS",
        0x91: "FROZENSET", 0x30: "POP", 0x32: "DUP", 0x31: "POP_MARK", 0x67: "GET", 0x70: "PUT", 0x82: "EXT1",
        0x83: "EXT2", 0x84: "EXT4", 0x69: "INST", 0x6F: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x50: "PERSID",
    ]

    /// Tuples nest two deep in a state dict; the bound only keeps hostile input off the stack.
    static let maxTupleDepth = 32

    let file: String
    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var stack: [PickleValue] = []
    /// Stack heights at each open MARK; nothing below the innermost may be popped (as in Python).
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Every list and dict made, emptied at the end: pickles can build cycles, and long chains
    /// that would free recursively.
    private var lists: [PickleList] = []
    private var dicts: [PickleDict] = []
    /// Storages by key, so that tensors sharing one agree on its dtype and size.
    var storages: [String: TorchStorage] = [:]

    /// Runs the pickle in `bytes` and passes the value it returns to `use`.
    static func load<T>(_ bytes: UnsafeRawBufferPointer, file: String, _ use: (PickleValue) throws -> T) throws -> T {
        var machine = Unpickler(file: file, bytes: bytes)
        defer {
            for list in machine.lists { list.items = [] }
            for dict in machine.dicts { dict.removeAll() }
        }
        return try use(machine.run())
    }

    private init(file: String, bytes: UnsafeRawBufferPointer) {
        self.file = file
        self.bytes = bytes
    }

    func invalid(_ reason: String, at offset: Int) -> CheckpointError {
        .invalidPickle(file: file, offset: offset, reason: reason)
    }

    private mutating func run() throws -> PickleValue {
        while true {
            let at = position
            let code = try read(1, at: at)[0]
            guard let op = Op(rawValue: code) else {
                let name = Self.otherOpcodes[code] ?? "0x\(String(code, radix: 16)) (not a pickle opcode)"
                throw CheckpointError.forbiddenOpcode(file: file, offset: at, opcode: name)
            }
            switch op {
            case .proto:
                let version = try read(1, at: at)[0]
                guard (2...5).contains(version) else { throw invalid("unsupported pickle protocol \(version)", at: at) }
            case .frame:
                // Frames only group opcodes for buffered reading: check the length and go on.
                guard try readInteger(UInt64.self, at: at) <= UInt64(bytes.count - position) else {
                    throw invalid("frame runs past the end of the pickle", at: at)
                }
            case .stop:
                return try pop(at: at)
            case .mark:
                marks.append(stack.count)
            case .emptyDict:
                stack.append(.dict(newDict()))
            case .dict:
                let dict = newDict()
                try setItems(of: dict, try popMark(at: at), at: at)
                stack.append(.dict(dict))
            case .setItem:
                let value = try pop(at: at), key = try pop(at: at)
                try setItems(of: try topDict(at: at), [key, value], at: at)
            case .setItems:
                let items = try popMark(at: at)
                try setItems(of: try topDict(at: at), items, at: at)
            case .emptyList:
                stack.append(.list(newList()))
            case .list:
                let list = newList()
                list.items = try popMark(at: at)
                stack.append(.list(list))
            case .append:
                let value = try pop(at: at)
                try topList(at: at).items.append(value)
            case .appends:
                let items = try popMark(at: at)
                try topList(at: at).items += items
            case .emptyTuple:
                stack.append(.tuple([], depth: 1))
            case .tuple:
                stack.append(try tuple(popMark(at: at), at: at))
            case .tuple1, .tuple2, .tuple3:
                let n = Int(code - Op.tuple1.rawValue) + 1
                var items: [PickleValue] = []
                for _ in 0..<n { items.append(try pop(at: at)) }
                stack.append(try tuple(items.reversed(), at: at))
            case .binPut:
                memo[Int(try read(1, at: at)[0])] = try top(at: at)
            case .longBinPut:
                memo[Int(try readInteger(UInt32.self, at: at))] = try top(at: at)
            case .memoize:
                memo[memo.count] = try top(at: at)
            case .binGet, .longBinGet:
                let key = op == .binGet ? Int(try read(1, at: at)[0]) : Int(try readInteger(UInt32.self, at: at))
                guard let value = memo[key] else { throw invalid("memo entry \(key) was never stored", at: at) }
                stack.append(value)
            case .binInt:
                stack.append(.int(Int(try readInteger(Int32.self, at: at))))
            case .binInt1:
                stack.append(.int(Int(try read(1, at: at)[0])))
            case .binInt2:
                stack.append(.int(Int(try readInteger(UInt16.self, at: at))))
            case .long1:
                stack.append(.int(try long(at: at)))
            case .binUnicode:
                stack.append(.string(try string(length: UInt64(try readInteger(UInt32.self, at: at)), at: at)))
            case .shortBinUnicode:
                stack.append(.string(try string(length: UInt64(try read(1, at: at)[0]), at: at)))
            case .binUnicode8:
                stack.append(.string(try string(length: try readInteger(UInt64.self, at: at), at: at)))
            case .none:
                stack.append(.none)
            case .newTrue, .newFalse:
                stack.append(.bool(op == .newTrue))
            case .binFloat:
                stack.append(.float(Double(bitPattern: UInt64(bigEndian: try readInteger(UInt64.self, at: at)))))
            case .global:
                let module = try line(at: at), name = try line(at: at)
                stack.append(try global(module: module, name: name, at: at))
            case .stackGlobal:
                guard case .string(let name) = try pop(at: at), case .string(let module) = try pop(at: at) else {
                    throw invalid("STACK_GLOBAL needs two strings", at: at)
                }
                stack.append(try global(module: module, name: name, at: at))
            case .reduce:
                let arguments = try pop(at: at), callable = try pop(at: at)
                guard case .global(let function) = callable, case .tuple(let items, _) = arguments else {
                    throw invalid("REDUCE of \(callable.kindName) with \(arguments.kindName)", at: at)
                }
                stack.append(try reduce(function, items, at: at))
            case .build:
                let state = try pop(at: at)
                try build(try top(at: at), state: state, at: at)
            case .binPersId:
                stack.append(try persistentLoad(try pop(at: at), at: at))
            }
        }
    }

    mutating func newDict() -> PickleDict {
        let dict = PickleDict()
        dicts.append(dict)
        return dict
    }

    private mutating func newList() -> PickleList {
        let list = PickleList()
        lists.append(list)
        return list
    }

    private func setItems(of dict: PickleDict, _ items: [PickleValue], at offset: Int) throws {
        guard items.count % 2 == 0 else { throw invalid("odd number of items for a dict", at: offset) }
        for i in stride(from: 0, to: items.count, by: 2) {
            switch items[i] {
            case .string(let s): dict.set(.string(s), items[i + 1])
            case .int(let n): dict.set(.int(n), items[i + 1])
            default: throw invalid("dict key is \(items[i].kindName), not a string or an integer", at: offset)
            }
        }
    }

    private func tuple(_ items: [PickleValue], at offset: Int) throws -> PickleValue {
        let depth = 1 + items.reduce(0) { if case .tuple(_, let d) = $1 { max($0, d) } else { $0 } }
        guard depth <= Self.maxTupleDepth else { throw invalid("tuples nested more than \(Self.maxTupleDepth) deep", at: offset) }
        return .tuple(items, depth: depth)
    }

    private mutating func pop(at offset: Int) throws -> PickleValue {
        guard stack.count > (marks.last ?? 0) else { throw invalid("stack underflow", at: offset) }
        return stack.removeLast()
    }

    private func top(at offset: Int) throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.last else { throw invalid("stack underflow", at: offset) }
        return value
    }

    private func topDict(at offset: Int) throws -> PickleDict {
        let value = try top(at: offset)
        guard case .dict(let dict) = value else { throw invalid("setting items of \(value.kindName), not a dict", at: offset) }
        return dict
    }

    private func topList(at offset: Int) throws -> PickleList {
        let value = try top(at: offset)
        guard case .list(let list) = value else { throw invalid("appending to \(value.kindName), not a list", at: offset) }
        return list
    }

    /// The values pushed since the innermost MARK, which is closed.
    private mutating func popMark(at offset: Int) throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw invalid("no MARK to close", at: offset) }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    /// The next `count` bytes (an opcode's argument for the opcode at `offset`).
    private mutating func read(_ count: Int, at offset: Int) throws -> UnsafeRawBufferPointer {
        guard count <= bytes.count - position else { throw invalid("truncated: the pickle ends inside an opcode", at: offset) }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }

    private mutating func readInteger<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) throws -> T {
        T(littleEndian: try read(MemoryLayout<T>.size, at: offset).loadUnaligned(as: T.self))
    }

    /// LONG1: a length byte, then that many bytes of little-endian two's complement.
    private mutating func long(at offset: Int) throws -> Int {
        let count = Int(try read(1, at: offset)[0])
        guard count <= 8 else { throw invalid("integer of \(count) bytes is wider than 64 bits", at: offset) }
        let digits = try read(count, at: offset)
        guard count > 0 else { return 0 }
        var value = UInt64(0)
        for (i, byte) in digits.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        let unused = UInt64(64 - 8 * count)
        return Int(Int64(bitPattern: value << unused) >> Int64(unused))  // sign-extends the top byte
    }

    private mutating func string(length: UInt64, at offset: Int) throws -> String {
        guard length <= UInt64(bytes.count - position) else { throw invalid("string of \(length) bytes runs past the end", at: offset) }
        guard let s = String(validating: try read(Int(length), at: offset), as: UTF8.self) else {
            throw invalid("string is not valid UTF-8", at: offset)
        }
        return s
    }

    /// A newline-terminated argument of GLOBAL.
    private mutating func line(at offset: Int) throws -> String {
        guard let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else {
            throw invalid("GLOBAL name has no end of line", at: offset)
        }
        let text = try string(length: UInt64(end - position), at: offset)
        position += 1
        return text
    }
}
