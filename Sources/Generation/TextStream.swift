// Text of a growing token sequence, handed out piece by piece as tokens are generated: the whole
// sequence is decoded again and only what is new is given, since a byte-level token may end
// inside a character (which then waits for the next token) and a SentencePiece token's leading
// space depends on what precedes it.
import Tokenization

public struct TextStream {
    private let tokenizer: Tokenizer
    private var tokens: [Int32]
    /// The text handed out so far.
    public private(set) var shown: String

    /// Starts after `prompt`, whose text is `shown` (and is not handed out again).
    public init(tokenizer: Tokenizer, prompt: [Int32]) {
        self.tokenizer = tokenizer
        tokens = prompt
        shown = tokenizer.decode(prompt)
    }

    /// The text `token` adds, or "" while it ends inside a character.
    public mutating func append(_ token: Int32) -> String {
        tokens.append(token)
        let text = tokenizer.decode(tokens)
        guard !text.hasSuffix("\u{FFFD}") && text.hasPrefix(shown) else { return "" }
        defer { shown = text }
        return String(text.dropFirst(shown.count))
    }

    /// Whatever is still held back at the end (an incomplete character, as U+FFFD).
    public mutating func finish() -> String {
        let text = tokenizer.decode(tokens)
        guard text.hasPrefix(shown) else { return "" }
        defer { shown = text }
        return String(text.dropFirst(shown.count))
    }
}
