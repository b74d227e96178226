// The compiler of the tokenizer regex engine: a parsed pattern becomes a program for a
// backtracking machine with Perl/Oniguruma (leftmost-first) semantics over Unicode scalars.
// Runs of one class (`\p{L}+`, `\s*`) are single instructions, and each alternative is guarded
// by the set of scalars it can start with, so a failing branch costs one bitmap test.

enum RegexOp: UInt8 {
    /// `a…d`: the scalars that match (unused slots -1).
    case scalars
    /// `a`: class index.
    case set
    /// Try `a`, and on failure `b`.
    case split
    /// If the scalar at the position is in class `c`, like split(a, b); otherwise go to `b`.
    case guardedSplit
    case jump
    /// Class `a` repeated `b`…`c` times (`c` -1: unbounded); `d` is the RepetitionMode.
    case repeatSet
    /// `a`: RegexAnchor index.
    case anchor
    /// Sub-program at `a` must (`b` bit 0 clear) or must not (set) match here; bit 1: behind,
    /// looking back `c` scalars.
    case look
    /// Sub-program at `a` runs once; its first way of matching is kept (atomic group).
    case atomic
    /// The end of a sub-program.
    case succeed
    case match
}

struct RegexInst {
    var op: RegexOp
    var a: Int32 = -1, b: Int32 = -1, c: Int32 = -1, d: Int32 = -1
}

/// A compiled pattern: instructions, classes, and the facts the matcher needs.
public struct TokenRegex: Sendable {
    public let pattern: String
    let code: [RegexInst]
    let sets: [CharSet]
    /// Some loop can go round matching nothing: memoize from the start to cut such cycles.
    let hasNullableLoop: Bool

    static let maxProgram = 200_000
    static let anchors: [RegexAnchor] = [.lineStart, .lineEnd, .textStart, .textEnd, .textEndBeforeNewline, .wordBoundary, .notWordBoundary]

    /// Compiles `pattern` (Oniguruma syntax, as in `tokenizer.json`).
    public init(_ pattern: String) throws(RegexSyntaxError) {
        let tree = try RegexParser.parse(pattern)
        var c = RegexCompiler(pattern: pattern)
        try c.emit(tree)
        c.code.append(RegexInst(op: .match))
        try c.emitSubprograms()
        self.pattern = pattern
        code = c.code
        sets = c.sets
        hasNullableLoop = c.nullableLoop
    }
}

struct RegexCompiler {
    let pattern: String
    var code: [RegexInst] = []
    var sets: [CharSet] = []
    var nullableLoop = false
    /// Lookaround and atomic bodies, emitted after the main program: (instruction to patch, body).
    private var pending: [(Int, RegexNode)] = []

    init(pattern: String) { self.pattern = pattern }

    private func tooLarge() -> RegexSyntaxError {
        RegexSyntaxError(pattern: pattern, offset: 0, reason: "pattern compiles to more than \(TokenRegex.maxProgram) instructions")
    }

    private mutating func append(_ inst: RegexInst) throws(RegexSyntaxError) {
        if code.count >= TokenRegex.maxProgram { throw tooLarge() }
        code.append(inst)
    }

    private mutating func addSet(_ set: CharSet) -> Int32 {
        sets.append(set)
        return Int32(sets.count - 1)
    }

    /// The scalars a literal matches (its case variants under `(?i)`).
    static func variants(_ c: UInt32, _ fold: Bool) -> [UInt32] { fold ? CaseFolding.variants(of: c) : [c] }

    mutating func emit(_ node: RegexNode) throws(RegexSyntaxError) {
        switch node {
        case .empty: break
        case let .literal(c, fold):
            let vs = RegexCompiler.variants(c, fold)
            if vs.count <= 4 {
                var inst = RegexInst(op: .scalars)
                for (k, v) in vs.enumerated() {
                    switch k { case 0: inst.a = Int32(v); case 1: inst.b = Int32(v); case 2: inst.c = Int32(v); default: inst.d = Int32(v) }
                }
                try append(inst)
            } else {
                try append(RegexInst(op: .set, a: addSet(CharSet(CharSetSpec(items: vs.map { .range($0, $0) })))))
            }
        case let .set(spec):
            try append(RegexInst(op: .set, a: addSet(CharSet(spec))))
        case let .concat(items):
            for item in items { try emit(item) }
        case let .alternation(branches):
            var jumps: [Int] = []
            for (k, branch) in branches.enumerated() {
                if k == branches.count - 1 {
                    try emit(branch)
                    break
                }
                let split = code.count
                if let first = firstSet(branch) {
                    try append(RegexInst(op: .guardedSplit, a: Int32(split + 1), c: addSet(first)))
                } else {
                    try append(RegexInst(op: .split, a: Int32(split + 1)))
                }
                try emit(branch)
                jumps.append(code.count)
                try append(RegexInst(op: .jump))
                code[split].b = Int32(code.count)
            }
            for j in jumps { code[j].a = Int32(code.count) }
        case let .repetition(body, min, max, mode):
            try emitRepetition(body, min, max, mode)
        case let .anchor(a):
            try append(RegexInst(op: .anchor, a: Int32(TokenRegex.anchors.firstIndex(of: a) ?? 0)))
        case let .look(body, behind, negated):
            var length: Int32 = 0
            if behind {
                guard let n = RegexCompiler.fixedLength(body) else {
                    throw RegexSyntaxError(pattern: pattern, offset: 0, reason: "lookbehind needs a fixed length")
                }
                length = Int32(n)
            }
            pending.append((code.count, body))
            try append(RegexInst(op: .look, b: (negated ? 1 : 0) | (behind ? 2 : 0), c: length))
        case let .atomic(body):
            pending.append((code.count, body))
            try append(RegexInst(op: .atomic))
        }
    }

    /// Bodies of lookarounds and atomic groups, each ending in `succeed` (they may queue more).
    mutating func emitSubprograms() throws(RegexSyntaxError) {
        var k = 0
        while k < pending.count {
            let (at, body) = pending[k]
            code[at].a = Int32(code.count)
            try emit(body)
            try append(RegexInst(op: .succeed))
            k += 1
        }
    }

    private mutating func emitRepetition(_ body: RegexNode, _ min: Int, _ max: Int?, _ mode: RepetitionMode) throws(RegexSyntaxError) {
        if let set = singleScalarSet(body) {
            try append(RegexInst(op: .repeatSet, a: addSet(set), b: Int32(min), c: Int32(max ?? -1),
                                 d: mode == .greedy ? 0 : mode == .lazy ? 1 : 2))
            return
        }
        if mode == .possessive {
            try emit(.atomic(.repetition(body, min: min, max: max, mode: .greedy)))
            return
        }
        for _ in 0..<min { try emit(body) }
        let lazy = mode == .lazy
        if let max {
            // (body (body (…)?)?)? with every skip jumping to the end.
            var splits: [Int] = []
            for _ in min..<max {
                splits.append(code.count)
                try append(RegexInst(op: .split))
                try emit(body)
            }
            for s in splits {
                code[s].a = lazy ? Int32(code.count) : Int32(s + 1)
                code[s].b = lazy ? Int32(s + 1) : Int32(code.count)
            }
        } else {
            if RegexCompiler.nullable(body) { nullableLoop = true }
            let loop = code.count
            try append(RegexInst(op: .split))
            try emit(body)
            try append(RegexInst(op: .jump, a: Int32(loop)))
            code[loop].a = lazy ? Int32(code.count) : Int32(loop + 1)
            code[loop].b = lazy ? Int32(loop + 1) : Int32(code.count)
        }
    }

    /// The class of a node that always matches exactly one scalar, or nil.
    private mutating func singleScalarSet(_ node: RegexNode) -> CharSet? {
        switch node {
        case let .literal(c, fold): return CharSet(CharSetSpec(items: RegexCompiler.variants(c, fold).map { .range($0, $0) }))
        case let .set(spec): return CharSet(spec)
        case let .alternation(bs) where !bs.isEmpty:
            var parts: [CharSet] = []
            for b in bs { guard let s = singleScalarSet(b) else { return nil }; parts.append(s) }
            return CharSet(union: parts)
        default: return nil
        }
    }

    /// The scalars a match of `node` can start with, or nil when it can match the empty string.
    private mutating func firstSet(_ node: RegexNode) -> CharSet? {
        switch node {
        case .empty, .anchor, .look: return nil
        case .literal, .set: return singleScalarSet(node)
        case let .concat(items):
            var parts: [CharSet] = []
            for item in items {
                if case .look = item { continue }
                if case .anchor = item { continue }
                if let s = firstSet(item) { parts.append(s); return CharSet(union: parts) }
                // A nullable item: its first scalars, then the next item's.
                guard let s = firstSetAllowingEmpty(item) else { return nil }
                parts.append(s)
            }
            return nil
        case let .alternation(bs):
            var parts: [CharSet] = []
            for b in bs { guard let s = firstSet(b) else { return nil }; parts.append(s) }
            return CharSet(union: parts)
        case let .repetition(body, min, _, _):
            return min > 0 ? firstSet(body) : nil
        case let .atomic(body): return firstSet(body)
        }
    }

    /// Like firstSet, for a node that may also match nothing (nil when unknown).
    private mutating func firstSetAllowingEmpty(_ node: RegexNode) -> CharSet? {
        switch node {
        case let .repetition(body, _, _, _): return firstSet(body) ?? firstSetAllowingEmpty(body)
        case .empty: return CharSet(union: [])
        default: return firstSet(node)
        }
    }

    static func nullable(_ node: RegexNode) -> Bool {
        switch node {
        case .empty, .anchor, .look: return true
        case .literal, .set: return false
        case let .concat(items): return items.allSatisfy(nullable)
        case let .alternation(bs): return bs.contains(where: nullable)
        case let .repetition(body, min, _, _): return min == 0 || nullable(body)
        case let .atomic(body): return nullable(body)
        }
    }

    /// The number of scalars every match of `node` has, or nil if it varies.
    static func fixedLength(_ node: RegexNode) -> Int? {
        switch node {
        case .empty, .anchor, .look: return 0
        case .literal, .set: return 1
        case let .concat(items):
            var n = 0
            for item in items { guard let k = fixedLength(item) else { return nil }; n += k }
            return n
        case let .alternation(bs):
            let lengths = bs.map(fixedLength)
            guard let first = lengths.first, let f = first, lengths.allSatisfy({ $0 == f }) else { return nil }
            return f
        case let .repetition(body, min, max, _):
            guard max == min, let k = fixedLength(body) else { return nil }
            return k * min
        case let .atomic(body): return fixedLength(body)
        }
    }
}
