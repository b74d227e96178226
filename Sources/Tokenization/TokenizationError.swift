/// Everything the tokenizer can reject, with the file (and line) it concerns.
public enum TokenizationError: Error, CustomStringConvertible, Equatable {
    /// A text file holds bytes that are not valid UTF-8.
    case invalidUTF8(file: String, line: Int)
    /// A file could not be opened, read or written.
    case io(path: String, reason: String)
    /// A tokenizer.json that is not well-formed JSON.
    case malformedJSON(file: String, line: Int, reason: String)
    /// A tokenizer.json that is JSON but not a tokenizer we understand.
    case invalidTokenizer(file: String, reason: String)
    /// A tokenizer.json component (model, normalizer, pre-tokenizer, ...) we do not implement;
    /// `component` says where in the file and what, e.g. `pre_tokenizer.pretokenizers[2]:
    /// unsupported pre-tokenizer type "Foo"`.
    case unsupported(file: String, component: String)
    /// Training was asked for something impossible.
    case invalidTrainingOptions(String)

    public var description: String {
        switch self {
        case let .invalidUTF8(file, line): return "\(file):\(line): not valid UTF-8"
        case let .io(path, reason): return "\(path): \(reason)"
        case let .malformedJSON(file, line, reason): return "\(file):\(line): malformed JSON: \(reason)"
        case let .invalidTokenizer(file, reason): return "\(file): invalid tokenizer: \(reason)"
        case let .unsupported(file, component): return "\(file): \(component)"
        case let .invalidTrainingOptions(reason): return "invalid training options: \(reason)"
        }
    }
}
