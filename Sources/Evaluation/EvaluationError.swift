// Errors of the evaluation metrics: bad shapes of input are reported, never trapped on.

public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    /// A corpus metric was given no reference stream at all.
    case noReferences
    /// Reference stream `referenceStream` (0-based) does not have one line per hypothesis.
    case lineCountMismatch(referenceStream: Int, hypothesisLines: Int, referenceLines: Int)
    /// A mean was asked of nothing (e.g. perplexity of zero tokens).
    case emptyInput(String)
    /// Text that is not UTF-8; `line` is 1-based.
    case invalidUTF8(line: Int)

    public var description: String {
        switch self {
        case .noReferences:
            return "no references given: at least one reference stream is needed"
        case let .lineCountMismatch(stream, hypothesisLines, referenceLines):
            return "reference stream \(stream + 1) has \(referenceLines) lines but there are "
                + "\(hypothesisLines) hypotheses: each reference stream needs one line per hypothesis"
        case let .emptyInput(what):
            return "empty input: \(what)"
        case let .invalidUTF8(line):
            return "not valid UTF-8 (line \(line))"
        }
    }

    /// Checks that every reference stream is parallel to the hypotheses.
    static func checkParallel(hypotheses: [String], references: [[String]]) throws {
        guard !references.isEmpty else { throw EvaluationError.noReferences }
        for (stream, lines) in references.enumerated() where lines.count != hypotheses.count {
            throw EvaluationError.lineCountMismatch(
                referenceStream: stream, hypothesisLines: hypotheses.count, referenceLines: lines.count)
        }
    }
}
