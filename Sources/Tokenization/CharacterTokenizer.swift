// A character-level tokenizer (nanoGPT's shakespeare_char): the distinct characters of a text
// are the vocabulary, after the special tokens, each character one token. Written to
// tokenizer.json as Hugging Face components (a WordLevel model over single characters, a Split
// pre-tokenizer isolating each character, the Fuse decoder), so `tokenizers` reproduces its ids.

extension Tokenizer {
    /// Any one character, newlines included (Oniguruma's `.` stops at a newline).
    static let characterPattern = "[\\s\\S]"

    /// A tokenizer whose vocabulary is `specials` (ids 0…, in their order) followed by the
    /// characters (Unicode scalars) of `text` in code-point order. A character outside the
    /// text encodes as the unknown token.
    public static func characters(of text: String, specialTokens specials: SpecialTokens = .standard) throws -> Tokenizer {
        let names = specials.inIDOrder
        guard Set(names).count == names.count, !names.contains(""),
              [specials.pad, specials.bos, specials.eos, specials.unk].allSatisfy({ $0.map(names.contains) ?? false }) else {
            throw TokenizationError.invalidTrainingOptions("special tokens must be distinct, non-empty and include pad, bos, eos and unk")
        }
        let alphabet = Set(text.unicodeScalars).sorted { $0.value < $1.value }
        var vocab = names.enumerated().map { (Array($1.utf8), Int32($0)) }
        vocab += alphabet.enumerated().map { (Array(String($1).utf8), Int32(names.count + $0)) }
        let pattern: TokenRegex
        do { pattern = try TokenRegex(characterPattern) } catch {
            throw TokenizationError.invalidTrainingOptions("internal error: \(characterPattern) does not compile")
        }
        let added = names.enumerated().map { AddedToken(id: Int32($0), content: $1, special: true) }
        return Tokenizer(model: .wordLevel(WordLevelModel(vocab: vocab, unkToken: specials.unk ?? "<unk>")),
                         normalizer: [], preTokenizer: [.split(.regex(pattern), .isolated, invert: false)],
                         postProcessor: [], decoder: [.fuse], addedTokens: added, specialTokens: specials)
    }
}
