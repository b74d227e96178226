// torch.save files (pytorch_model.bin): the whole file (zip container, pickle, tensor views), and
// the pickle alone inside a fixed archive, so that mutations reach the unpickler and the views
// rather than the zip container. A file that loads reads every tensor it declares or throws.
import Checkpoints

extension FuzzTargets {
    static func pyTorch(_ bytes: [UInt8]) throws {
        try exerciseTorchFile(bytes)
    }

    /// The byte sizes of the storages of Tests/CheckpointsTests/Fixtures/hf/bin_model/pytorch_model.bin
    /// (keys 0…13), which the pickles of the Pickle corpus refer to.
    private static let pickleRecords = [("byteorder", Array("little".utf8))]
        + [40, 96, 48, 12, 12, 12, 48, 12, 24, 12, 3, 4, 0, 8].enumerated().map {
            ("data/\($0.offset)", [UInt8](repeating: 0, count: $0.element))
        }

    static func pickle(_ bytes: [UInt8]) throws {
        try exerciseTorchFile(torchArchive(pickle: bytes, records: pickleRecords))
    }

    private static func exerciseTorchFile(_ bytes: [UInt8]) throws {
        guard let file = try? PyTorchFile(bytes: bytes, name: "fuzz.bin") else { return }
        for entry in file.entries {
            if let tensor = try? file.tensor(entry.name) {
                try require(tensor.shape == entry.shape, "'\(entry.name)' reads with shape \(tensor.shape), the pickle says \(entry.shape)")
            }
            _ = try? file.floats(entry.name)
            _ = try? file.int64s(entry.name)
            _ = try? file.int32s(entry.name)
        }
    }

    /// A stored zip shaped like torch.save's: `pickle` as archive/data.pkl, then `records` (names
    /// under archive/), each local header padded so that its data starts 64-byte aligned.
    static func torchArchive(pickle: [UInt8], records: [(String, [UInt8])]) -> [UInt8] {
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
        var out: [UInt8] = [], central: [UInt8] = []
        let all = [("archive/data.pkl", pickle)] + records.map { ("archive/" + $0.0, $0.1) }
        for (name, data) in all {
            let offset = UInt32(out.count), raw = Array(name.utf8)
            let padding = (64 - (out.count + 30 + raw.count + 4) % 64) % 64
            let extra = le(UInt16(0x4646)) + le(UInt16(padding)) + [UInt8](repeating: 0, count: padding)
            out += le(UInt32(0x0403_4B50)) + le(UInt16(20)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0)) + le(UInt32(0))
            out += le(UInt32(data.count)) + le(UInt32(data.count)) + le(UInt16(raw.count)) + le(UInt16(extra.count)) + raw + extra + data
            central += le(UInt32(0x0201_4B50)) + le(UInt16(20)) + le(UInt16(20)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0))
            central += le(UInt32(0)) + le(UInt32(data.count)) + le(UInt32(data.count)) + le(UInt16(raw.count)) + le(UInt16(0))
            central += le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0)) + le(offset) + raw
        }
        let directoryOffset = UInt32(out.count)
        out += central
        out += le(UInt32(0x0605_4B50)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(all.count)) + le(UInt16(all.count))
        out += le(UInt32(central.count)) + le(directoryOffset) + le(UInt16(0))
        return out
    }
}
