import Dispatch

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
        guard !files.isEmpty else { throw TokenizationError.invalidTrainingOptions("no input files") }
        let (normalizer, preTokenizer, decoder) = pipeline(options.preTokenization, nfkc: options.nfkc)

        var texts: [[UInt8]] = []
        for path in files {
            let bytes = try FileIO.read(path)
            try FileIO.validateUTF8(bytes, path: path)
            texts.append(bytes)
        }
        let words = countWords(texts, normalizer: normalizer, preTokenizer: cuttingSteps(preTokenizer),
                               threads: max(1, options.threads), progress: progress)

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

    /// Distinct pre-tokenized pieces of all lines with their counts, counted on `threads` threads.
    private static func countWords(_ texts: [[UInt8]], normalizer: [NormalizerStep], preTokenizer: [PreTokenizerStep],
                                   threads: Int, progress: (@Sendable (TrainingProgress) -> Void)?) -> [(ArraySlice<UInt8>, Int)] {
        // Lines of all files, split into one contiguous share per thread.
        let lines = texts.enumerated().flatMap { f, bytes in FileIO.lineRanges(bytes).map { (f, $0) } }
        let totalBytes = texts.reduce(0) { $0 + $1.count }
        let shares = (0..<threads).map { t in (lines.count * t / threads)..<(lines.count * (t + 1) / threads) }
        var tables = [(ByteStringTable, [Int])](repeating: (ByteStringTable(), []), count: threads)
        tables.withUnsafeMutableBufferPointer { buffer in
            let out = UnsafeSendableTables(base: buffer)
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                var table = ByteStringTable(capacity: 1 << 15)
                var counts: [Int] = []
                var pre = PreTokenizer(steps: preTokenizer)
                var pieces: [Range<Int>] = []
                var done = 0
                for (n, (f, range)) in lines[shares[t]].enumerated() {
                    let line = Array(texts[f][range])
                    let bytes = normalizer.isEmpty ? line : NormalizerStep.apply(normalizer, to: line)
                    let buffer = pre.run(bytes, into: &pieces)
                    buffer.withUnsafeBufferPointer { p in
                        for r in pieces {
                            let (k, inserted) = table.insert(UnsafeBufferPointer(rebasing: p[r]))
                            if inserted { counts.append(1) } else { counts[k] += 1 }
                        }
                    }
                    done += range.count + 1
                    if t == 0, let progress, n % 4096 == 4095 {
                        progress(TrainingProgress(phase: .counting, completed: min(totalBytes, done * threads), total: totalBytes))
                    }
                }
                out.base[t] = (table, counts)
            }
        }
        progress?(TrainingProgress(phase: .counting, completed: totalBytes, total: totalBytes))
        var (merged, counts) = tables[0]
        for (table, more) in tables.dropFirst() {
            for k in 0..<table.count {
                let key = table.key(k)
                let (m, inserted) = key.withUnsafeBufferPointer { merged.insert($0) }
                if inserted { counts.append(more[k]) } else { counts[m] += more[k] }
            }
        }
        return (0..<merged.count).map { (merged.key($0), counts[$0]) }
    }
}

private struct UnsafeSendableTables: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<(ByteStringTable, [Int])>
}
