extension Tokenizer {
    /// The normalizer, pre-tokenizer and decoder of a byte-level mode. Written to
    /// tokenizer.json as Hugging Face components so `tokenizers` reproduces our ids.
    static func pipeline(_ mode: PreTokenization, nfkc: Bool) -> ([NormalizerStep], [PreTokenizerStep], [DecoderStep]) {
        let normalize: [NormalizerStep] = nfkc ? [.nfkc] : []
        switch mode {
        case .metaspace:
            // Prepend(" ") marks the first word like every other; Strip takes that space off again.
            return (normalize + [.prepend(" ")],
                    [.split(.literal(" "), .mergedWithNext, invert: false), .punctuation(.isolated),
                     .byteLevel(addPrefixSpace: false, useRegex: false)],
                    [.byteLevel, .strip(content: " ", start: 1, stop: 0)])
        case .gpt2:
            return (normalize, [.byteLevel(addPrefixSpace: false, useRegex: true)], [.byteLevel])
        }
    }

    /// Learns a byte-level BPE vocabulary of `vocabSize` tokens (special tokens and the 256
    /// byte tokens included) from the lines of `files`. The result depends only on the
    /// input and options, not on thread count or hashing.
    public static func train(files: [String], vocabSize: Int, options: TrainingOptions = TrainingOptions(),
                             progress: (@Sendable (TrainingProgress) -> Void)? = nil) throws -> Tokenizer {
        let specials = options.specialTokens
        let names = specials.inIDOrder
        guard Set(names).count == names.count, !names.contains(""),
              [specials.pad, specials.bos, specials.eos, specials.unk].allSatisfy({ $0.map(names.contains) ?? false }) else {
            throw TokenizationError.invalidTrainingOptions("special tokens must be distinct, non-empty and include pad, bos, eos and unk")
        }
        guard vocabSize >= names.count + 256 else {
            throw TokenizationError.invalidTrainingOptions("vocabulary size \(vocabSize) is below \(names.count + 256) (special tokens + 256 bytes)")
        }
        let (normalizer, preTokenizer, decoder) = pipeline(options.preTokenization, nfkc: options.nfkc)
        let texts = try WordCounting.readCorpus(files)
        let splitter = PipelineSplitter(normalizer: normalizer, preTokenizer: cuttingSteps(preTokenizer))
        let words = WordCounting.count(texts, splitter: splitter, threads: options.threads, progress: progress)

        var trainer = MergeLearner(specialTokens: names.map { Array($0.utf8) }, words: words)
        trainer.learn(vocabSize: vocabSize, minFrequency: max(1, options.minFrequency), progress: progress)

        let model: BPEModel
        do {
            model = try BPEModel(vocab: trainer.tokens.enumerated().map { ($1, Int32($0)) },
                                 merges: trainer.merges.map { (trainer.tokens[Int($0)], trainer.tokens[Int($1)]) })
        } catch {
            throw TokenizationError.invalidTrainingOptions("internal error: learned merges are inconsistent")
        }
        var withUnk = model
        withUnk.unkToken = specials.unk
        let added = names.enumerated().map { AddedToken(id: Int32($0), content: $1, special: true) }
        let bos = specials.bos ?? "", eos = specials.eos ?? ""
        let template = PostProcessorStep.template(
            single: [.special(name: bos, typeID: 0), .sequence(second: false, typeID: 0), .special(name: eos, typeID: 0)],
            pair: [.special(name: bos, typeID: 0), .sequence(second: false, typeID: 0), .special(name: eos, typeID: 0),
                   .special(name: bos, typeID: 1), .sequence(second: true, typeID: 1), .special(name: eos, typeID: 1)],
            specialTokens: [bos, eos].map { name in
                TemplateSpecialToken(name: name, ids: [Int32(names.firstIndex(of: name) ?? 0)], tokens: [name])
            })
        return Tokenizer(model: .bpe(withUnk), normalizer: normalizer, preTokenizer: preTokenizer, postProcessor: [template],
                         decoder: decoder, addedTokens: added, specialTokens: specials)
    }
}
