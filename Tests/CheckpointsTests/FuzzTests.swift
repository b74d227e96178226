// Seeded fuzzing: mutated valid files (truncated, bytes flipped in the header, random
// header lengths, spliced header text) must only ever throw or load; a trap fails the run.
import Checkpoints
import XCTest

final class FuzzTests: XCTestCase {
    private func seeds() throws -> [[UInt8]] {
        [
            try SafetensorsWriter.serialize(
                [
                    SafetensorsTensor(name: "w", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]),
                    SafetensorsTensor(name: "h", shape: [2], floats: [1, -1], format: .f16),
                    SafetensorsTensor(name: "b", shape: [1, 1], floats: [7], format: .bf16),
                    SafetensorsTensor(name: "i", shape: [], int64s: [9]),
                    SafetensorsTensor(name: "j", shape: [2], int32s: [1, -1]),
                    SafetensorsTensor(name: "m", dtype: .bool, shape: [2], bytes: [0, 1]),
                    SafetensorsTensor(name: "e", shape: [0, 5], floats: []),
                ],
                metadata: ["format": "pt", "é": "\"x\""]),
            try SafetensorsWriter.serialize([]),
            TestFiles.file(header: #"{"x": {"dtype": "U8", "shape": [3], "data_offsets": [0, 3]}}"#, dataLength: 3),
        ]
    }

    /// Loads `bytes` and, when that succeeds, reads every tensor through every accessor.
    private func exercise(_ bytes: [UInt8]) {
        guard let file = try? SafetensorsFile(bytes: bytes, name: "fuzz") else { return }
        var covered = 0
        for entry in file.entries {
            XCTAssertEqual(entry.byteRange.lowerBound, covered)
            covered = entry.byteRange.upperBound
            _ = try? file.floats(entry.name)
            _ = try? file.int64s(entry.name)
            _ = try? file.int32s(entry.name)
        }
        XCTAssertEqual(covered, file.header.dataLength)
    }

    func testMutatedFilesOnlyThrowOrLoad() throws {
        var rng = SplitMix64(seed: 0x5AFE)
        let interesting = Array(#"{}[]",:-0123456789.eE"\u "#.utf8) + [0x00, 0x80, 0xC3, 0xFF]
        for seed in try seeds() {
            exercise(seed)
            let headerEnd = 8 + Int(seed[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            for _ in 0..<3_000 {
                var bytes = seed
                switch Int.random(in: 0..<6, using: &rng) {
                case 0:  // truncation
                    bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
                case 1:  // random byte flips in the header
                    for _ in 0..<Int.random(in: 1...4, using: &rng) {
                        bytes[Int.random(in: 8..<headerEnd, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    }
                case 2:  // header characters swapped for JSON-significant ones
                    for _ in 0..<Int.random(in: 1...3, using: &rng) {
                        bytes[Int.random(in: 8..<headerEnd, using: &rng)] = interesting.randomElement(using: &rng)!
                    }
                case 3:  // random header length: anything, or near the true one
                    let length = Bool.random(using: &rng)
                        ? rng.next() : UInt64(max(0, headerEnd - 8 + Int.random(in: -16...16, using: &rng)))
                    bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: length.littleEndian, Array.init))
                case 4:  // a number in the header replaced, length fixed up: reaches the checks behind the JSON
                    bytes = replacingNumber(in: bytes, headerEnd: headerEnd, using: &rng)
                default:  // a header byte deleted or duplicated, length unchanged
                    let at = Int.random(in: 8..<headerEnd, using: &rng)
                    if Bool.random(using: &rng) { bytes.remove(at: at) } else { bytes.insert(bytes[at], at: at) }
                }
                exercise(bytes)
            }
        }
    }

    private func replacingNumber(in bytes: [UInt8], headerEnd: Int, using rng: inout SplitMix64) -> [UInt8] {
        let replacements = ["0", "1", "3", "-1", "-0", "2.5", "1e3", "8", "24", "9223372036854775807",
                            "9223372036854775808", "18446744073709551615", "99999999999999999999", "4611686018427387904"]
        var header = Array(bytes[8..<headerEnd])
        let isDigit = { (b: UInt8) in b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        let starts = header.indices.filter { isDigit(header[$0]) && ($0 == 0 || !isDigit(header[$0 - 1])) }
        guard let start = starts.randomElement(using: &rng) else { return bytes }
        let end = header[start...].firstIndex { !isDigit($0) } ?? header.endIndex
        header.replaceSubrange(start..<end, with: Array(replacements.randomElement(using: &rng)!.utf8))
        return withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header + bytes[headerEnd...]
    }

    func testRandomBytesOnlyThrowOrLoad() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2_000 {
            let count = Int.random(in: 0..<64, using: &rng)
            exercise((0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
    }
}

/// The same for torch.save archives: mutated zips and pickles must only throw or load, and
/// every tensor of one that loads must read or throw.
final class PyTorchFuzzTests: XCTestCase {
    private func exercise(_ bytes: [UInt8]) {
        guard let file = try? PyTorchFile(bytes: bytes, name: "fuzz.bin") else { return }
        for entry in file.entries {
            if let tensor = try? file.tensor(entry.name) { XCTAssertEqual(tensor.shape, entry.shape) }
            _ = try? file.floats(entry.name)
            _ = try? file.int64s(entry.name)
        }
    }

    func testMutatedArchivesOnlyThrowOrLoad() throws {
        var rng = SplitMix64(seed: 0xB1B)
        let interesting: [UInt8] = [0x00, 0x01, 0x02, 0x04, 0x7F, 0x80, 0xFF, 0x28, 0x29, 0x2E, 0x4B, 0x51, 0x52, 0x58, 0x62,
                                    0x68, 0x71, 0x73, 0x74, 0x75, 0x85, 0x86, 0x8A, 0x93, 0x94, 0x95]
        for name in ["bin_model/pytorch_model.bin", "zip64.bin", "protocol4.bin", "nested.bin"] {
            let seed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: HFFixtures.path(name))))
            exercise(seed)
            // The pickle is the first record: its bytes lie in the first kilobyte or so.
            let pickleEnd = min(seed.count, 1_100)
            for _ in 0..<1_500 {
                var bytes = seed
                switch Int.random(in: 0..<5, using: &rng) {
                case 0:  // truncation
                    bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
                case 1:  // random bytes anywhere
                    for _ in 0..<Int.random(in: 1...4, using: &rng) {
                        bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    }
                case 2:  // pickle bytes swapped for opcodes and small numbers
                    for _ in 0..<Int.random(in: 1...3, using: &rng) {
                        bytes[Int.random(in: 64..<pickleEnd, using: &rng)] = interesting.randomElement(using: &rng)!
                    }
                case 3:  // the central directory and end records (the last few hundred bytes)
                    let at = Int.random(in: max(0, bytes.count - 700)..<bytes.count, using: &rng)
                    bytes[at] = interesting.randomElement(using: &rng)!
                default:  // a pickle byte deleted or duplicated (shifts everything after it)
                    let at = Int.random(in: 64..<pickleEnd, using: &rng)
                    if Bool.random(using: &rng) { bytes.remove(at: at) } else { bytes.insert(bytes[at], at: at) }
                }
                exercise(bytes)
            }
        }
    }
}
