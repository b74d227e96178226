/// How a split treats the delimiters it finds (Hugging Face's `SplitDelimiterBehavior`).
public enum SplitBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"
}

/// What a `Split` pre-tokenizer looks for: a literal string or a regex (GPT-2's own on a
/// hand-written fast path).
public enum SplitPattern: Equatable, Sendable {
    case literal(String)
    case gpt2
    case regex(TokenRegex)
}

/// When Metaspace adds its marker before a piece.
public enum PrependScheme: String, Sendable { case always, first, never }

/// One step of pre-tokenization: cutting normalized text into pieces that BPE merges never cross.
public enum PreTokenizerStep: Equatable, Sendable {
    case split(SplitPattern, SplitBehavior, invert: Bool)
    /// Each punctuation character (ASCII punctuation or Unicode P*) is a delimiter.
    case punctuation(SplitBehavior)
    /// Runs of `\w+` or `[^\w\s]+`; whitespace dropped.
    case whitespace
    /// Runs of non-whitespace; whitespace dropped.
    case whitespaceSplit
    /// Replaces spaces with `replacement` (SentencePiece's `▁`) and splits before each one.
    case metaspace(replacement: String, prependScheme: PrependScheme, split: Bool)
    /// Byte-level BPE input: bytes become GPT-2's byte characters (handed to the model as raw
    /// bytes when this step comes last).
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// BERT's: whitespace removed, each punctuation character alone (`BertPreTokenizer`).
    case bert
    /// Numbers (Unicode N*) split off, each digit alone or in runs (`Digits`).
    case digits(individual: Bool)
    /// Splits on one character, which is removed (`CharDelimiterSplit`).
    case charDelimiter(String)
}

/// Runs pre-tokenizer steps over a byte buffer, keeping pieces as ranges into it.
struct PreTokenizer {
    let steps: [PreTokenizerStep]
    /// ByteLevel steps before this index map text to byte characters; a final one leaves that to the model.
    private let mappingEnd: Int
    /// Scratch: (start, end, isMatch) events of the piece being split.
    private var events: [(Int, Int, Bool)] = []
    private var folded: [(Int, Int)] = []
    /// A matcher for each regex step, by step index.
    private var matchers: [Int: RegexMatcher] = [:]
    /// Whether the text being cut starts the input (Metaspace's `first` scheme).
    private var atStart = true

    /// `rawBytesToModel`: the last step is ByteLevel and the model takes raw bytes.
    init(steps: [PreTokenizerStep], rawBytesToModel: Bool = false) {
        self.steps = steps
        mappingEnd = rawBytesToModel ? steps.count - 1 : steps.count
        for (k, step) in steps.enumerated() {
            if case let .split(.regex(r), _, _) = step { matchers[k] = RegexMatcher(r) }
        }
    }

    /// Cuts `bytes` into `pieces`; returns the buffer the ranges index (rebuilt by steps that edit text).
    mutating func run(_ bytes: [UInt8], into pieces: inout [Range<Int>], atStart: Bool = true) -> [UInt8] {
        pieces.removeAll(keepingCapacity: true)
        if !bytes.isEmpty { pieces.append(0..<bytes.count) }
        self.atStart = atStart
        var buffer = bytes
        for (k, step) in steps.enumerated() {
            switch step {
            case let .metaspace(replacement, scheme, split):
                buffer = applyMetaspace(buffer, &pieces, Array(replacement.utf8), scheme, split)
            case let .byteLevel(addPrefixSpace, useRegex):
                if addPrefixSpace { buffer = prependSpace(buffer, &pieces) }
                if useRegex { buffer = splitEach(buffer, &pieces, step, k) }
                if k < mappingEnd { buffer = mapBytes(buffer, &pieces) }
            default:
                buffer = splitEach(buffer, &pieces, step, k)
            }
        }
        return buffer
    }

    private mutating func splitEach(_ buffer: [UInt8], _ pieces: inout [Range<Int>], _ step: PreTokenizerStep, _ index: Int) -> [UInt8] {
        let input = pieces
        pieces.removeAll(keepingCapacity: true)
        buffer.withUnsafeBufferPointer { p in
            for r in input {
                events.removeAll(keepingCapacity: true)
                var behavior = SplitBehavior.isolated
                switch step {
                case let .split(.literal(s), b, invert):
                    findLiteral(p, r, Array(s.utf8)); behavior = b
                    if invert { for k in events.indices { events[k].2.toggle() } }
                case let .split(.gpt2, b, invert):
                    GPT2Split.scan(p, r.lowerBound, r.upperBound) { events.append(($0, $1, !invert)) }
                    behavior = b
                case let .split(.regex, b, invert):
                    findRegex(p, r, index)
                    if invert { for k in events.indices { events[k].2.toggle() } }
                    behavior = b
                case .bert:
                    // Whitespace removed, then punctuation isolated: one pass, as neither overlaps.
                    findChars(p, r) { CharClass.of($0) & (CharClass.whitespace | CharClass.punctuation) != 0 }
                    for k in events.indices where events[k].2 {
                        let (c, _) = UTF8Scalars.decode(p, at: events[k].0)
                        if CharClass.of(c) & CharClass.whitespace == 0 { events[k].2 = false }
                    }
                    behavior = .removed
                case let .digits(individual):
                    findChars(p, r) { CharClass.of($0) & CharClass.number != 0 }
                    behavior = individual ? .isolated : .contiguous
                case let .charDelimiter(d):
                    let delimiter = d.unicodeScalars.first?.value ?? 0
                    findChars(p, r) { $0 == delimiter }; behavior = .removed
                case let .punctuation(b):
                    findChars(p, r) { CharClass.of($0) & CharClass.punctuation != 0 }; behavior = b
                case .whitespaceSplit:
                    findChars(p, r) { CharClass.of($0) & CharClass.whitespace != 0 }; behavior = .removed
                case .whitespace:
                    findWordRuns(p, r); behavior = .removed
                case .byteLevel:
                    GPT2Split.scan(p, r.lowerBound, r.upperBound) { events.append(($0, $1, true)) }
                case .metaspace:
                    break
                }
                fold(behavior)
                for (s, e) in folded where e > s { pieces.append(s..<e) }
            }
        }
        return buffer
    }

    /// Occurrences of `pattern` (leftmost, non-overlapping) with the gaps between them.
    private mutating func findLiteral(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ pattern: [UInt8]) {
        var last = r.lowerBound, i = r.lowerBound
        let m = pattern.count
        while m > 0, i + m <= r.upperBound {
            var hit = p[i] == pattern[0]
            if hit { for k in 1..<m where p[i + k] != pattern[k] { hit = false; break } }
            if hit {
                if last < i { events.append((last, i, false)) }
                events.append((i, i + m, true))
                i += m
                last = i
            } else {
                i += 1
            }
        }
        if last < r.upperBound { events.append((last, r.upperBound, false)) }
    }

    /// Matches of the step's regex with the gaps between them (Oniguruma's `find_iter` events).
    private mutating func findRegex(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ index: Int) {
        guard var m = matchers[index] else { return }
        matchers[index] = nil  // keep the matcher's buffers uniquely referenced while it runs
        var last = r.lowerBound
        m.forEachMatch(p, r.lowerBound, r.upperBound) { s, e in
            if last < s { events.append((last, s, false)) }
            events.append((s, e, true))
            last = e
        }
        if last < r.upperBound { events.append((last, r.upperBound, false)) }
        matchers[index] = m
    }

    /// Each character matching `isDelimiter` is its own match.
    private mutating func findChars(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ isDelimiter: (UInt32) -> Bool) {
        var last = r.lowerBound, i = r.lowerBound
        while i < r.upperBound {
            let (c, n) = UTF8Scalars.decode(p, at: i)
            if isDelimiter(c) {
                if last < i { events.append((last, i, false)) }
                events.append((i, i + n, true))
                last = i + n
            }
            i += n
        }
        if last < r.upperBound { events.append((last, r.upperBound, false)) }
    }

    /// `\w+|[^\w\s]+` kept (as non-matches), whitespace runs as matches to remove.
    private mutating func findWordRuns(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) {
        var i = r.lowerBound
        while i < r.upperBound {
            let start = i
            let kind = { (c: UInt32) -> Int in
                let f = CharClass.of(c)
                return f & CharClass.word != 0 ? 0 : f & CharClass.whitespace != 0 ? 2 : 1
            }
            let (c, n) = UTF8Scalars.decode(p, at: i)
            let k0 = kind(c)
            i += n
            while i < r.upperBound {
                let (c2, n2) = UTF8Scalars.decode(p, at: i)
                guard kind(c2) == k0 else { break }
                i += n2
            }
            events.append((start, i, k0 == 2))
        }
    }

    /// Hugging Face's `NormalizedString::split` behaviors over `events` into `folded`.
    private mutating func fold(_ behavior: SplitBehavior) {
        folded.removeAll(keepingCapacity: true)
        var previousMatch = false
        switch behavior {
        case .isolated:
            for (s, e, _) in events { folded.append((s, e)) }
        case .removed:
            for (s, e, m) in events where !m { folded.append((s, e)) }
        case .contiguous:
            for (s, e, m) in events {
                if m == previousMatch, !folded.isEmpty { folded[folded.count - 1].1 = e } else { folded.append((s, e)) }
                previousMatch = m
            }
        case .mergedWithPrevious:
            for (s, e, m) in events {
                if m && !previousMatch, !folded.isEmpty { folded[folded.count - 1].1 = e } else { folded.append((s, e)) }
                previousMatch = m
            }
        case .mergedWithNext:
            for (s, e, m) in events.reversed() {
                if m && !previousMatch, !folded.isEmpty { folded[folded.count - 1].0 = s } else { folded.append((s, e)) }
                previousMatch = m
            }
            folded.reverse()
        }
    }

    /// Metaspace: spaces become `replacement`, the marker is prepended, then split before each marker.
    private mutating func applyMetaspace(_ buffer: [UInt8], _ pieces: inout [Range<Int>], _ replacement: [UInt8],
                                         _ scheme: PrependScheme, _ split: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(buffer.count + buffer.count / 4 + replacement.count)
        var rebuilt: [Range<Int>] = []
        for r in pieces {
            let start = out.count
            let startsWithMarker = buffer[r].starts(with: replacement) || buffer[r].first == 0x20
            let prepend = scheme == .always || (scheme == .first && r.lowerBound == 0 && atStart)
            if prepend && !startsWithMarker { out += replacement }
            for b in buffer[r] { if b == 0x20 { out += replacement } else { out.append(b) } }
            rebuilt.append(start..<out.count)
        }
        pieces = rebuilt
        return split ? splitEach(out, &pieces, .split(.literal(String(decoding: replacement, as: UTF8.self)), .mergedWithNext, invert: false), -1) : out
    }

    /// ByteLevel before other steps: every byte becomes its byte-level character.
    private func mapBytes(_ buffer: [UInt8], _ pieces: inout [Range<Int>]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(buffer.count * 2)
        for k in pieces.indices {
            let start = out.count
            for b in buffer[pieces[k]] { out += ByteLevelAlphabet.utf8OfByte[Int(b)] }
            pieces[k] = start..<out.count
        }
        return out
    }

    /// ByteLevel's `add_prefix_space`: a space before each piece that lacks one.
    private func prependSpace(_ buffer: [UInt8], _ pieces: inout [Range<Int>]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(buffer.count + pieces.count)
        for k in pieces.indices {
            let r = pieces[k]
            let start = out.count
            if buffer[r.lowerBound] != 0x20 { out.append(0x20) }
            out += buffer[r]
            pieces[k] = start..<out.count
        }
        return out
    }
}
