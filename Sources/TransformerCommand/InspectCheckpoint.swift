// `transformer safetensors PATH`: lists the tensors of a checkpoint (a safetensors file, a
// torch.save file such as pytorch_model.bin, or a model directory, sharded or not).
import ArgumentParser
import Checkpoints
import Foundation

struct SafetensorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "safetensors",
        abstract: "List the tensors of a checkpoint (safetensors, pytorch_model.bin or a model directory), validating it.",
        discussion: """
            Prints one line per tensor (name, dtype, shape, bytes) in the order the tensors \
            are stored (shard by shard for a sharded directory), then a safetensors file's \
            metadata and the totals. Only headers, indexes and pickles are read, but they are \
            checked completely against the file sizes (offsets, sizes, overlaps, holes, views \
            within their storages), so a checkpoint this command accepts can be loaded; --load \
            also reads every tensor and checks that every weight is finite. A torch.save \
            pickle is interpreted, never run. A malformed checkpoint gives an error naming the \
            problem and exit status 1.
            """)

    @Argument(help: "A .safetensors or torch.save (.bin, .pt) file, or a model directory.", completion: .file())
    var file: String

    @Flag(name: .customLong("sort-by-name"), help: "List tensors by name instead of by position in the file.")
    var sortByName = false

    @Flag(help: "Also read every tensor: floats as float32, checking that every value is finite.")
    var load = false

    func run() throws {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory)
        let tensors = isDirectory.boolValue
            ? try CheckpointTensors.open(directory: URL(fileURLWithPath: file)) : try CheckpointTensors(path: file)
        let names = sortByName ? tensors.tensorNames.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } : tensors.tensorNames
        var parameters = 0, bytes = 0
        let rows = names.map { name in
            let (dtype, shape) = (tensors.dtype(of: name)!, tensors.shape(of: name)!)
            // A tensor's bytes were checked against its file; expanded views (stride 0) could
            // still make the totals overflow, which then saturate.
            let count = shape.reduce(1, *), size = count.multipliedReportingOverflow(by: dtype.bitWidth)
            let tensorBytes = size.overflow ? Int.max : size.partialValue / 8
            parameters = saturatingSum(parameters, count)
            bytes = saturatingSum(bytes, tensorBytes)
            return [name, dtype.rawValue, "[" + shape.map(String.init).joined(separator: ", ") + "]", grouped(tensorBytes)]
        }
        print(table(header: ["name", "dtype", "shape", "bytes"], rows: rows, rightAligned: [3]))

        if !isDirectory.boolValue, let header = try? SafetensorsHeader.read(path: file), !header.metadata.isEmpty {
            print("\nmetadata:")
            for key in header.metadata.keys.sorted() { print("  \(key): \(header.metadata[key]!)") }
        }
        let files = tensors.files.count == 1 ? "" : " in \(tensors.files.count) files"
        print("\n\(names.count) tensors, \(grouped(parameters)) parameters, \(grouped(bytes)) bytes of data\(files)")

        if load {
            // Kept until all are read, as a model holds them.
            var kept: [Any] = []
            for name in tensors.tensorNames {
                switch tensors.dtype(of: name)! {
                case .f32, .f16, .bf16, .f64: kept.append(try tensors.tensor(name, shape: nil))
                case .bool, .u8, .i8, .u16, .i16, .u32, .i32, .u64, .i64: kept.append(try tensors.int64s(name))
                default: continue
                }
            }
            print("read \(kept.count) tensors: every float is finite")
        }
    }

    private func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }

    private func grouped(_ n: some BinaryInteger) -> String {
        let digits = Array(String(n))
        return digits.enumerated().map { i, d in
            i > 0 && (digits.count - i) % 3 == 0 ? ",\(d)" : "\(d)"
        }.joined()
    }

    private func table(header: [String], rows: [[String]], rightAligned: Set<Int>) -> String {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max()!
        }
        return ([header] + rows).map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingSuffixSpaces()
        }.joined(separator: "\n")
    }
}

private extension String {
    func trimmingSuffixSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
