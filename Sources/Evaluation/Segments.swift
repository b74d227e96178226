// Segments: a text file read as lines the way sacreBLEU's command line reads it —
// split on "\n" only (a final "\n" ends the last line, it does not start another one),
// every line stripped of trailing Python whitespace (so "\r\n" endings are harmless).

public enum Segments {
    /// The lines of UTF-8 `bytes`; throws `EvaluationError.invalidUTF8` naming the first bad line.
    public static func lines<Bytes: Collection>(utf8 bytes: Bytes) throws -> [String]
    where Bytes.Element == UInt8 {
        var pieces = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if pieces.last?.isEmpty == true { pieces.removeLast() }
        return try pieces.enumerated().map { number, piece in
            guard let line = String(validating: piece, as: UTF8.self) else {
                throw EvaluationError.invalidUTF8(line: number + 1)
            }
            return String(scalars: line.unicodeScalars.droppingTrailingPythonWhitespace())
        }
    }
}
