// The first step of every trainer (BPE, WordPiece, Unigram): reading the corpus and counting
// its distinct pre-tokenized words, as Hugging Face's trainers do in `feed`.
import Dispatch

/// Cuts one line of a corpus into the words a trainer counts (normalizer + pre-tokenizer).
protocol WordSplitter {
    /// Calls `body` with the UTF-8 bytes of each word of `line`, in order.
    mutating func forEachWord(in line: ArraySlice<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void)
}

/// A pipeline of `NormalizerStep`s and `PreTokenizerStep`s as a splitter.
struct PipelineSplitter: WordSplitter {
    let normalizer: [NormalizerStep]
    var preTokenizer: PreTokenizer
    private var pieces: [Range<Int>] = []

    init(normalizer: [NormalizerStep], preTokenizer: [PreTokenizerStep]) {
        self.normalizer = normalizer
        self.preTokenizer = PreTokenizer(steps: preTokenizer)
    }

    mutating func forEachWord(in line: ArraySlice<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        let bytes = normalizer.isEmpty ? Array(line) : NormalizerStep.apply(normalizer, to: Array(line))
        let buffer = preTokenizer.run(bytes, into: &pieces)
        buffer.withUnsafeBufferPointer { p in
            for r in pieces { body(UnsafeBufferPointer(rebasing: p[r])) }
        }
    }
}

enum WordCounting {
    /// The bytes of each file, checked to be UTF-8; errors name the file (and line).
    static func readCorpus(_ files: [String]) throws -> [[UInt8]] {
        guard !files.isEmpty else { throw TokenizationError.invalidTrainingOptions("no input files") }
        var texts: [[UInt8]] = []
        for path in files {
            let bytes = try FileIO.read(path)
            try FileIO.validateUTF8(bytes, path: path)
            texts.append(bytes)
        }
        return texts
    }

    /// Distinct words of all lines with their counts, counted on `threads` threads (each
    /// thread a contiguous share of the lines, then the tables merged). The order of the
    /// result depends on the thread count; the counts do not.
    static func count<S: WordSplitter>(_ texts: [[UInt8]], splitter: S, threads: Int,
                                       progress: (@Sendable (TrainingProgress) -> Void)?) -> [(ArraySlice<UInt8>, Int)] {
        let threads = max(1, threads)
        let lines = texts.enumerated().flatMap { f, bytes in FileIO.lineRanges(bytes).map { (f, $0) } }
        let totalBytes = texts.reduce(0) { $0 + $1.count }
        let shares = (0..<threads).map { t in (lines.count * t / threads)..<(lines.count * (t + 1) / threads) }
        var tables = [(ByteStringTable, [Int])](repeating: (ByteStringTable(), []), count: threads)
        tables.withUnsafeMutableBufferPointer { buffer in
            let out = UnsafeSendableTables(base: buffer)
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                var table = ByteStringTable(capacity: 1 << 15)
                var counts: [Int] = []
                var split = splitter
                var done = 0
                for (n, (f, range)) in lines[shares[t]].enumerated() {
                    split.forEachWord(in: texts[f][range]) { word in
                        let (k, inserted) = table.insert(word)
                        if inserted { counts.append(1) } else { counts[k] += 1 }
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

    /// `words` sorted by count (most frequent first), then by their bytes: an order that does
    /// not depend on the thread count, for trainers whose floating-point sums follow word order.
    static func canonicalOrder(_ words: [(ArraySlice<UInt8>, Int)]) -> [(ArraySlice<UInt8>, Int)] {
        words.sorted { a, b in a.1 != b.1 ? a.1 > b.1 : a.0.lexicographicallyPrecedes(b.0) }
    }
}

private struct UnsafeSendableTables: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<(ByteStringTable, [Int])>
}
