// `transformer safetensors FILE`: lists the tensors and metadata of a safetensors file.
import ArgumentParser
import Checkpoints

struct SafetensorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "safetensors",
        abstract: "List the tensors and metadata of a safetensors file, validating it.",
        discussion: """
            Prints one line per tensor (name, dtype, shape, bytes) in the order the \
            tensors are stored, then the metadata and the total number of parameters. \
            Only the header is read, but it is checked completely against the file size \
            (offsets, sizes, overlaps, holes), so a file this command accepts can be \
            loaded. A malformed file gives an error naming the problem and exit status 1.
            """)

    @Argument(help: "The .safetensors file to inspect.", completion: .file())
    var file: String

    @Flag(name: .customLong("sort-by-name"), help: "List tensors by name instead of by position in the file.")
    var sortByName = false

    func run() throws {
        let header = try SafetensorsHeader.read(path: file)
        let entries = sortByName
            ? header.entries.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            : header.entries
        let rows = entries.map { entry in
            [entry.name, entry.dtype.rawValue, "[" + entry.shape.map(String.init).joined(separator: ", ") + "]",
             grouped(entry.byteRange.count)]
        }
        print(table(header: ["name", "dtype", "shape", "bytes"], rows: rows, rightAligned: [3]))

        if !header.metadata.isEmpty {
            print("\nmetadata:")
            for key in header.metadata.keys.sorted() { print("  \(key): \(header.metadata[key]!)") }
        }
        // Cannot overflow: tensors occupy disjoint bytes of the file, at least 4 bits per element.
        let parameters = entries.reduce(0) { $0 + $1.elementCount }
        print("""

            \(entries.count) tensors, \(grouped(parameters)) parameters, \
            \(grouped(header.dataLength)) bytes of data, \(grouped(header.headerLength)) bytes of header
            """)
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
