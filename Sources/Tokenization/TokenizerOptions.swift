/// Special tokens and the roles they play (nil: the tokenizer has none, as GPT-2 has no pad).
/// Training gives them ids 0, 1, 2, ... in `inIDOrder` order, so by default `<pad>`=0,
/// `<bos>`=1, `<eos>`=2, `<unk>`=3.
public struct SpecialTokens: Sendable, Equatable {
    public var pad: String?
    public var bos: String?
    public var eos: String?
    public var unk: String?
    /// BERT's classification, separator and mask tokens.
    public var cls: String?
    public var sep: String?
    public var mask: String?
    /// All special tokens in id order, for training; must contain pad, bos, eos and unk.
    public var inIDOrder: [String]

    public static let standard = SpecialTokens()

    /// The four roles in the order pad, bos, eos, unk, then `additional` tokens.
    public init(pad: String = "<pad>", bos: String = "<bos>", eos: String = "<eos>", unk: String = "<unk>",
                additional: [String] = []) {
        self.init(inIDOrder: [pad, bos, eos, unk] + additional, pad: pad, bos: bos, eos: eos, unk: unk)
    }

    /// Any id order, e.g. `["<unk>", "<pad>", "<bos>", "<eos>"]` for unk=0.
    public init(inIDOrder: [String], pad: String, bos: String, eos: String, unk: String) {
        self.inIDOrder = inIDOrder
        self.pad = pad; self.bos = bos; self.eos = eos; self.unk = unk
    }

    /// Roles of a loaded tokenizer, any of them absent.
    public init(roles pad: String?, bos: String?, eos: String?, unk: String?, cls: String? = nil, sep: String? = nil,
                mask: String? = nil) {
        self.pad = pad; self.bos = bos; self.eos = eos; self.unk = unk
        self.cls = cls; self.sep = sep; self.mask = mask
        inIDOrder = [pad, bos, eos, unk, cls, sep, mask].compactMap { $0 }
    }

    /// (role, token) for each role that is present, in a fixed order.
    public var roles: [(String, String)] {
        [("pad", pad), ("bos", bos), ("eos", eos), ("unk", unk), ("cls", cls), ("sep", sep), ("mask", mask)]
            .compactMap { role, token in token.map { (role, $0) } }
    }
}

/// How text is cut into pieces before BPE. Both modes are byte-level (every input encodes).
public enum PreTokenization: String, Sendable, CaseIterable {
    /// SentencePiece style: a space starts a new piece and stays on it as its marker (a
    /// space is also prepended to the text), and each punctuation character stands alone.
    /// The marker is the byte-level image of a space, `Ġ`, rather than `▁`, so that a
    /// literal `▁` in the text stays distinct and decoding is exact.
    case metaspace
    /// GPT-2's regex split (contractions, letters, numbers, other, whitespace runs).
    case gpt2
}

/// Options of `Tokenizer.train`.
public struct TrainingOptions: Sendable {
    public var preTokenization: PreTokenization = .metaspace
    /// Apply Unicode NFKC normalization before everything else (then decoding returns NFKC text).
    public var nfkc = false
    /// Pairs seen fewer times than this are never merged.
    public var minFrequency = 2
    public var specialTokens = SpecialTokens.standard
    /// Threads for counting words.
    public var threads = 2

    public init(preTokenization: PreTokenization = .metaspace, nfkc: Bool = false, minFrequency: Int = 2,
                specialTokens: SpecialTokens = .standard, threads: Int = 2) {
        self.preTokenization = preTokenization
        self.nfkc = nfkc
        self.minFrequency = minFrequency
        self.specialTokens = specialTokens
        self.threads = threads
    }
}

/// Where training is, for progress display.
public struct TrainingProgress: Sendable {
    public enum Phase: String, Sendable {
        case counting = "counting words", merging = "merging pairs", pruning = "EM and pruning"
    }
    public var phase: Phase
    /// Bytes read while counting, merges made while merging, pieces removed while pruning.
    public var completed: Int
    public var total: Int
}
