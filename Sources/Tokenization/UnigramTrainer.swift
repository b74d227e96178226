// Unigram language-model vocabulary learning as SentencePiece trains it (Kudo 2018;
// sentencepiece/src/unigram_model_trainer.cc, ported by Hugging Face as `UnigramTrainer`):
// a large seed vocabulary of frequent substrings, EM re-estimation of the piece
// probabilities, pruning by likelihood loss down to 1.1 × the requested size, then the
// required characters and the best pieces by score.

/// One E step of training: how many pieces the model had and the corpus log-likelihood under it.
public struct UnigramRound: Sendable, Equatable {
    public let pieceCount: Int
    /// Σ over distinct words of count × log P(word) under the model of this round.
    public let logLikelihood: Double
    /// True for the first E step of a stage: on the seed vocabulary, or right after pruning.
    public let startsStage: Bool
}

/// Learns a Unigram vocabulary from text files (one sentence per line).
public struct UnigramTrainer: Sendable {
    /// Vocabulary size: special tokens, byte pieces (with `byteFallback`) and pieces.
    public var vocabSize: Int
    /// Special tokens in id order (score 0); `unk` is the model's unknown piece.
    public var specialTokens = SpecialTokens.standard
    /// Share of all character occurrences the required characters must cover (spm: 0.9995);
    /// 1 keeps every character of the corpus, as Hugging Face's trainer does.
    public var characterCoverage = 1.0
    /// Add the 256 pieces `<0x00>`…`<0xFF>` after the special tokens, so unknown characters
    /// encode as their UTF-8 bytes.
    public var byteFallback = false
    public var maxPieceLength = 16
    /// At most this many seed pieces (characters included).
    public var seedSize = 1_000_000
    /// Each pruning step keeps this share of the pieces.
    public var shrinkingFactor = 0.75
    /// EM steps between pruning steps.
    public var subIterations = 2
    /// SentencePiece's split_by_unicode_script: no piece mixes scripts (letters, digits and
    /// punctuation apart).
    public var splitByUnicodeScript = true
    public var threads = 2

    public init(vocabSize: Int) { self.vocabSize = vocabSize }

    /// Trains on the lines of `files`. The result depends only on the input and options, not on
    /// the thread count or hashing.
    public func train(files: [String], progress: (@Sendable (TrainingProgress) -> Void)? = nil) throws -> UnigramVocabulary {
        try validate()
        let texts = try WordCounting.readCorpus(files)
        let words = WordCounting.canonicalOrder(
            WordCounting.count(texts, splitter: SentencePieceWordSplitter(), threads: threads, progress: progress))
        guard !words.isEmpty else { throw TokenizationError.invalidTrainingOptions("the corpus has no words") }
        // Positions and occurrence lists are 32-bit: each text position starts at most maxPieceLength pieces.
        let textBytes = words.reduce(0) { $0 + $1.0.count + 1 }
        guard textBytes <= Int(Int32.max) / (maxPieceLength + 1) else {
            throw TokenizationError.invalidTrainingOptions("the distinct words of the corpus hold \(textBytes) bytes, more than one run handles (\(Int(Int32.max) / (maxPieceLength + 1)))")
        }
        let corpus = UnigramCorpus(words: words, coverage: characterCoverage)
        let reserved = specialTokens.inIDOrder.count + (byteFallback ? 256 : 0)
        let requiredCount = corpus.required.filter { $0 }.count
        guard vocabSize >= reserved + requiredCount else {
            throw TokenizationError.invalidTrainingOptions(
                "vocabulary size \(vocabSize) is below \(reserved + requiredCount) (special tokens\(byteFallback ? ", 256 bytes" : "") and \(requiredCount) required characters); raise it or lower the character coverage")
        }

        let validity = PieceValidity(chars: corpus.chars, kept: corpus.required, maxLength: maxPieceLength,
                                     splitByScript: splitByUnicodeScript)
        let seeds = UnigramSeeds(corpus: corpus, validity: validity, seedSize: seedSize, threads: threads)
        var model = UnigramTrainingModel(corpus: corpus, seeds: seeds, threads: threads)
        let desired = vocabSize * 11 / 10
        let seedCount = model.count
        var rounds: [UnigramRound] = []
        while true {
            for iteration in 0..<subIterations {
                let (expected, logLikelihood) = model.expectedCounts()
                rounds.append(UnigramRound(pieceCount: model.count, logLikelihood: logLikelihood, startsStage: iteration == 0))
                model.maximize(expected)
            }
            progress?(TrainingProgress(phase: .pruning, completed: max(0, seedCount - model.count), total: max(0, seedCount - desired)))
            if model.count <= desired || !model.prune(desiredSize: desired, shrinkingFactor: shrinkingFactor) { break }
        }
        progress?(TrainingProgress(phase: .pruning, completed: max(0, seedCount - desired), total: max(0, seedCount - desired)))

        let pieces = finalPieces(model, budget: vocabSize - reserved)
        guard pieces.count == vocabSize - reserved else {
            throw TokenizationError.invalidTrainingOptions(
                "vocabulary size \(vocabSize) is too large for this corpus: it yields at most \(pieces.count + reserved) (lower it)")
        }
        var vocabulary = specialTokens.inIDOrder.map { ($0, 0.0) }
        if byteFallback { vocabulary += (0..<256).map { (UnigramVocabulary.bytePiece(UInt8($0)), 0.0) } }
        vocabulary += pieces.map { (String(decoding: $0.0, as: UTF8.self), $0.1) }
        return UnigramVocabulary(pieces: vocabulary, specialTokens: specialTokens, byteFallback: byteFallback, rounds: rounds)
    }

    /// The words training counts in one line of text (Nmt, NFKC, spaces collapsed, Metaspace).
    public func words(in line: String) -> [String] {
        var splitter = SentencePieceWordSplitter()
        var out: [String] = []
        splitter.forEachWord(in: Array(line.utf8)[...]) { out.append(String(decoding: $0, as: UTF8.self)) }
        return out
    }

    /// spm's `FinalizeSentencePieces`: every required character (with the lowest score plus a
    /// small penalty if training dropped it), then the best pieces, all sorted by score.
    private func finalPieces(_ model: UnigramTrainingModel, budget: Int) -> [([UInt8], Double)] {
        let corpus = model.corpus
        var chosen: [([UInt8], Double)] = []
        // Special tokens and byte pieces have their own ids already.
        var isChosen = Set(specialTokens.inIDOrder.map { Array($0.utf8) })
        if byteFallback { isChosen.formUnion((0...255).map { Array(UnigramVocabulary.bytePiece(UInt8($0)).utf8) }) }
        var penalty = 0.0
        let minScore = model.minScore
        let required = corpus.chars.indices.filter { corpus.required[$0] }
            .sorted { corpus.charCount[$0] != corpus.charCount[$1] ? corpus.charCount[$0] > corpus.charCount[$1] : $0 < $1 }
        for c in required {
            var utf8: [UInt8] = []
            UTF8Scalars.append(corpus.chars[c], to: &utf8)
            if isChosen.contains(utf8) { continue }
            if model.charPiece[c] >= 0 {
                chosen.append((utf8, model.score[Int(model.charPiece[c])]))
            } else {
                chosen.append((utf8, minScore + penalty))
                penalty += 0.0001
            }
            isChosen.insert(utf8)
        }
        var rest: [([UInt8], Double)] = (0..<model.count).map { k in
            (Array(corpus.string(at: Int(model.position[k]), length: Int(model.length[k])).utf8), model.score[k])
        }
        rest.sort(by: UnigramTrainer.byScore)
        for piece in rest where chosen.count < budget && !isChosen.contains(piece.0) {
            chosen.append(piece)
            isChosen.insert(piece.0)
        }
        return chosen.sorted(by: UnigramTrainer.byScore)
    }

    /// Higher score first, then the smaller UTF-8 string.
    private static func byScore(_ a: ([UInt8], Double), _ b: ([UInt8], Double)) -> Bool {
        a.1 != b.1 ? a.1 > b.1 : a.0.lexicographicallyPrecedes(b.0)
    }

    private func validate() throws {
        let s = specialTokens, names = s.inIDOrder
        guard Set(names).count == names.count, !names.contains(""),
              [s.pad, s.bos, s.eos, s.unk].allSatisfy({ $0.map(names.contains) ?? false }) else {
            throw TokenizationError.invalidTrainingOptions("special tokens must be distinct, non-empty and include pad, bos, eos and unk")
        }
        if byteFallback, let clash = names.first(where: { UnigramVocabulary.isBytePiece($0) }) {
            throw TokenizationError.invalidTrainingOptions("special token \(clash) clashes with a byte piece")
        }
        guard characterCoverage > 0 && characterCoverage <= 1 else {
            throw TokenizationError.invalidTrainingOptions("character coverage \(characterCoverage) is not in (0, 1]")
        }
        guard (1...255).contains(maxPieceLength) else {
            throw TokenizationError.invalidTrainingOptions("maximum piece length \(maxPieceLength) is not in 1...255")
        }
        guard shrinkingFactor > 0 && shrinkingFactor < 1 else {
            throw TokenizationError.invalidTrainingOptions("shrinking factor \(shrinkingFactor) is not in (0, 1)")
        }
        guard subIterations >= 1, seedSize >= 1 else {
            throw TokenizationError.invalidTrainingOptions("sub-iterations and seed size must be at least 1")
        }
        let reserved = names.count + (byteFallback ? 256 : 0)
        guard vocabSize <= TokenizerJSON.maxID else {
            throw TokenizationError.invalidTrainingOptions("vocabulary size \(vocabSize) is above \(TokenizerJSON.maxID)")
        }
        guard vocabSize > reserved else {
            throw TokenizationError.invalidTrainingOptions("vocabulary size \(vocabSize) leaves no room beside \(reserved) special and byte pieces")
        }
    }
}
