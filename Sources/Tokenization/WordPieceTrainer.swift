// WordPiece vocabulary learning as the BERT family does it with Hugging Face's
// `WordPieceTrainer` (tokenizers/src/models/wordpiece/trainer.rs): BPE merges over characters
// where every non-initial character carries the continuing prefix `##`, and the vocabulary of
// the merged tokens becomes the WordPiece vocabulary.

/// Learns a WordPiece vocabulary from text files (one sentence per line).
public struct WordPieceTrainer: Sendable {
    /// Vocabulary size, special tokens included.
    public var vocabSize: Int
    /// Pairs seen fewer times than this are never merged.
    public var minFrequency = 2
    /// Keep at most this many distinct characters (the most frequent); nil keeps them all.
    public var limitAlphabet: Int? = 1000
    /// Characters kept in the alphabet even if unseen (they count against `limitAlphabet`).
    public var initialAlphabet: [Unicode.Scalar] = []
    /// Special tokens in id order (ids 0, 1, …).
    public var specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    public var padToken = "[PAD]"
    public var unkToken = "[UNK]"
    public var clsToken = "[CLS]"
    public var sepToken = "[SEP]"
    public var continuingSubwordPrefix = "##"
    public var normalization = BertNormalization()
    /// Threads for counting words.
    public var threads = 2

    public init(vocabSize: Int) { self.vocabSize = vocabSize }

    /// Trains on the lines of `files`. The result depends only on the input and options, not on
    /// the thread count or hashing.
    public func train(files: [String], progress: (@Sendable (TrainingProgress) -> Void)? = nil) throws -> WordPieceVocabulary {
        try validate()
        let texts = try WordCounting.readCorpus(files)
        let words = WordCounting.count(texts, splitter: BertWordSplitter(normalization), threads: threads, progress: progress)
        guard !words.isEmpty else { throw TokenizationError.invalidTrainingOptions("the corpus has no words") }

        let alphabet = keptAlphabet(words)
        let prefix = Array(continuingSubwordPrefix.utf8)
        var tokens = specialTokens.map { Array($0.utf8) }
        var idOf: [[UInt8]: Int32] = [:]
        for (id, t) in tokens.enumerated() { idOf[t] = Int32(id) }
        var initialID: [UInt32: Int32] = [:]
        for c in alphabet {
            var utf8: [UInt8] = []
            UTF8Scalars.append(c, to: &utf8)
            if let id = idOf[utf8] { initialID[c] = id; continue }
            idOf[utf8] = Int32(tokens.count)
            initialID[c] = Int32(tokens.count)
            tokens.append(utf8)
        }
        // Continuing forms of the characters seen inside words, in code point order.
        var inside = Set<UInt32>()
        for (word, _) in words {
            var first = true
            UTF8Scalars.forEach(word) { c, _ in
                if !first, initialID[c] != nil { inside.insert(c) }
                first = false
            }
        }
        var continuingID: [UInt32: Int32] = [:]
        for c in inside.sorted() {
            var utf8 = prefix
            UTF8Scalars.append(c, to: &utf8)
            if let id = idOf[utf8] { continuingID[c] = id; continue }
            idOf[utf8] = Int32(tokens.count)
            continuingID[c] = Int32(tokens.count)
            tokens.append(utf8)
        }
        guard vocabSize >= tokens.count else {
            throw TokenizationError.invalidTrainingOptions(
                "vocabulary size \(vocabSize) is below \(tokens.count) (special tokens + \(alphabet.count) characters and their continuing forms); raise it or lower the alphabet limit")
        }

        // Words as ids; characters outside the kept alphabet are left out (as `BpeTrainer` does).
        var spelled: [[Int32]] = []
        spelled.reserveCapacity(words.count)
        for (word, _) in words {
            var ids: [Int32] = []
            UTF8Scalars.forEach(word) { c, _ in
                if let id = ids.isEmpty ? initialID[c] : continuingID[c] { ids.append(id) }
            }
            spelled.append(ids)
        }
        var learner = MergeLearner(tokens: tokens, words: spelled, counts: words.map { Int64($0.1) }, continuingPrefix: prefix)
        learner.learn(vocabSize: vocabSize, minFrequency: max(1, minFrequency), progress: progress)
        return WordPieceVocabulary(
            tokens: learner.tokens.map { String(decoding: $0, as: UTF8.self) }, specialTokenCount: specialTokens.count,
            padToken: padToken, unkToken: unkToken, clsToken: clsToken, sepToken: sepToken,
            continuingSubwordPrefix: continuingSubwordPrefix, normalization: normalization)
    }

    /// The words training counts in one line of text (BertNormalizer, then BertPreTokenizer).
    public func words(in line: String) -> [String] {
        var splitter = BertWordSplitter(normalization)
        var out: [String] = []
        splitter.forEachWord(in: Array(line.utf8)[...]) { out.append(String(decoding: $0, as: UTF8.self)) }
        return out
    }

    private func validate() throws {
        guard Set(specialTokens).count == specialTokens.count, !specialTokens.contains("") else {
            throw TokenizationError.invalidTrainingOptions("special tokens must be distinct and non-empty")
        }
        for (role, name) in [("pad", padToken), ("unk", unkToken), ("cls", clsToken), ("sep", sepToken)] where !specialTokens.contains(name) {
            throw TokenizationError.invalidTrainingOptions("the \(role) token \"\(name)\" is not among the special tokens")
        }
        guard !continuingSubwordPrefix.isEmpty else {
            throw TokenizationError.invalidTrainingOptions("the continuing subword prefix must not be empty")
        }
        if let limit = limitAlphabet, limit < 1 {
            throw TokenizationError.invalidTrainingOptions("the alphabet limit must be at least 1")
        }
        guard vocabSize <= TokenizerJSON.maxID else {
            throw TokenizationError.invalidTrainingOptions("vocabulary size \(vocabSize) is above \(TokenizerJSON.maxID)")
        }
        guard vocabSize > specialTokens.count else {
            throw TokenizationError.invalidTrainingOptions("vocabulary size \(vocabSize) leaves no room beside \(specialTokens.count) special tokens")
        }
    }

    /// The characters of the words (weighted by count) plus the initial alphabet, the least
    /// frequent dropped beyond `limitAlphabet` (ties: the larger code point goes first), in code point order.
    private func keptAlphabet(_ words: [(ArraySlice<UInt8>, Int)]) -> [UInt32] {
        var counts: [UInt32: Int] = [:]
        for (word, n) in words { UTF8Scalars.forEach(word) { c, _ in counts[c, default: 0] += n } }
        for c in initialAlphabet { counts[c.value] = Int.max }
        var chars = counts.map { ($0.key, $0.value) }
        if let limit = limitAlphabet, chars.count > limit {
            chars.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            chars.removeLast(chars.count - limit)
        }
        return chars.map(\.0).sorted()
    }
}
