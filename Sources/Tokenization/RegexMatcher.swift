// The backtracking machine of the tokenizer regex engine, over UTF-8 bytes. It cannot hang:
// once a search has taken more steps than a small multiple of the text's length, it records
// every (instruction, position) it has been at and fails on a second visit, which bounds the
// rest of the search by program size × text length (RE2's "bit state" idea; sound here because
// the pattern language has no backreferences). Loops whose body can match nothing use that
// record from the start, so they stop where Oniguruma's empty-loop check stops them.

struct RegexMatcher {
    let regex: TokenRegex
    private var stack: [Frame] = []
    private var memo: [UInt32] = []
    private var memoOn = false
    private var stamp: UInt32 = 0
    private var nextStamp: UInt32 = 0
    private var steps = 0
    private var stepLimit = 0
    /// Per sub-program (by start pc): its memo stamp, shared by its calls until one succeeds.
    private var subStamps: [UInt32] = []
    /// Per unbounded class run (by pc): the last run scanned, so a start inside it needs no rescan.
    private var runStart: [Int] = [], runEnd: [Int] = []
    /// The text of the current search: the buffer and the piece's bounds.
    private var p = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    private var lo = 0, hi = 0

    private struct Frame {
        /// 0: resume at `pc`; 1: greedy class run giving back one scalar (`aux`: lowest end);
        /// 2: lazy class run taking one more (`aux`: count so far); 3: sub-program boundary.
        var kind: UInt8
        var pc: Int32
        var pos: Int
        var aux: Int
    }

    /// Memo tables above this many entries are not built (the search then runs unmemoized).
    private static let maxMemo = 1 << 25

    init(_ regex: TokenRegex) { self.regex = regex }

    /// Calls `emit(start, end)` for each match in `p[lo..<hi]`, left to right, as Oniguruma's
    /// `find_iter` does: an empty match right after the previous match is skipped.
    mutating func forEachMatch(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int, _ emit: (Int, Int) -> Void) {
        self.p = p
        self.lo = lo
        self.hi = hi
        steps = 0
        stepLimit = 4096 + 64 * (hi - lo)
        memoOn = false
        let width = regex.code.count
        if subStamps.count != width {
            subStamps = [UInt32](repeating: 0, count: width)
            runStart = [Int](repeating: -1, count: width)
            runEnd = [Int](repeating: -1, count: width)
        } else {
            for k in 0..<width { subStamps[k] = 0; runStart[k] = -1 }
        }
        if regex.hasNullableLoop { enableMemo() }
        var start = lo
        var lastEnd = -1
        while start <= hi {
            guard let (s, e) = search(from: start) else { break }
            if s == e && e == lastEnd {
                // Step past it and look again.
                if s >= hi { break }
                start = s + UTF8Scalars.length(firstByte: p[s])
                continue
            }
            emit(s, e)
            lastEnd = e
            start = e
        }
        self.p = UnsafeBufferPointer(start: nil, count: 0)
    }

    /// The leftmost match starting at or after `from`.
    private mutating func search(from: Int) -> (Int, Int)? {
        var s = from
        newStamp()
        while s <= hi {
            if let e = run(0, s) { return (s, e) }
            if s == hi { break }
            s += UTF8Scalars.length(firstByte: p[s])
        }
        return nil
    }

    private mutating func newStamp() {
        nextStamp &+= 1
        if nextStamp == 0 {
            for k in memo.indices { memo[k] = 0 }
            nextStamp = 1
        }
        stamp = nextStamp
    }

    private mutating func enableMemo() {
        let size = (hi - lo + 1) * regex.code.count
        guard size <= RegexMatcher.maxMemo else { return }
        memoOn = true
        // Stamps only grow, so entries left by earlier searches never equal a current one.
        if memo.count < size { memo = [UInt32](repeating: 0, count: size) }
    }

    @inline(__always)
    private func scalar(at i: Int) -> UInt32 { UTF8Scalars.decode(p, at: i).0 }

    @inline(__always)
    private func previousStart(_ i: Int) -> Int {
        var k = i - 1
        while k > lo && p[k] & 0xC0 == 0x80 { k -= 1 }
        return k
    }

    private func isWord(at i: Int) -> Bool {
        guard i >= lo, i < hi else { return false }
        let c = scalar(at: i)
        return CharSetItem.word.contains(c, flags: UnicodeFlags.of(c))
    }

    private func anchorHolds(_ a: RegexAnchor, _ pos: Int) -> Bool {
        switch a {
        case .lineStart: return pos == lo || p[pos - 1] == 0x0A
        case .lineEnd: return pos == hi || p[pos] == 0x0A
        case .textStart: return pos == lo
        case .textEnd: return pos == hi
        case .textEndBeforeNewline: return pos == hi || (pos == hi - 1 && p[pos] == 0x0A)
        case .wordBoundary, .notWordBoundary:
            let before = pos > lo && isWord(at: previousStart(pos))
            let boundary = before != isWord(at: pos)
            return a == .wordBoundary ? boundary : !boundary
        }
    }

    /// Runs the program from `startPC` at `startPos`; the end of the first match found, or nil.
    private mutating func run(_ startPC: Int, _ startPos: Int) -> Int? {
        let base = stack.count
        let width = regex.code.count
        var pc = startPC, pos = startPos
        let program = regex.code
        return program.withUnsafeBufferPointer { code -> Int? in
            while true {
                var ok = true
                steps += 1
                if steps > stepLimit && !memoOn { enableMemo() }
                if memoOn {
                    let k = (pos - lo) * width + pc
                    if memo[k] == stamp { ok = false } else { memo[k] = stamp }
                }
                if ok {
                    let inst = code[pc]
                    switch inst.op {
                    case .scalars:
                        if pos < hi {
                            let (c, n) = UTF8Scalars.decode(p, at: pos)
                            let v = Int32(bitPattern: c)
                            if v == inst.a || v == inst.b || v == inst.c || v == inst.d { pos += n; pc += 1 } else { ok = false }
                        } else { ok = false }
                    case .set:
                        if pos < hi {
                            let (c, n) = UTF8Scalars.decode(p, at: pos)
                            if regex.sets[Int(inst.a)].contains(c) { pos += n; pc += 1 } else { ok = false }
                        } else { ok = false }
                    case .split:
                        stack.append(Frame(kind: 0, pc: inst.b, pos: pos, aux: 0))
                        pc = Int(inst.a)
                    case .guardedSplit:
                        if pos < hi, regex.sets[Int(inst.c)].contains(scalar(at: pos)) {
                            stack.append(Frame(kind: 0, pc: inst.b, pos: pos, aux: 0))
                            pc = Int(inst.a)
                        } else {
                            pc = Int(inst.b)
                        }
                    case .jump:
                        pc = Int(inst.a)
                    case .repeatSet:
                        let set = regex.sets[Int(inst.a)]
                        let min = Int(inst.b), max = inst.c < 0 ? Int.max : Int(inst.c)
                        var count = 0, end = pos, minEnd = pos
                        let limit = inst.d == 1 ? min : max
                        // Inside the last maximal run of this class: only the first `min` scalars need a look.
                        let cached = inst.d != 1 && inst.c < 0 && runStart[pc] >= 0 && runStart[pc] <= pos && pos <= runEnd[pc]
                        let scanLimit = cached ? min : limit
                        while count < scanLimit, end < hi {
                            let (c, n) = UTF8Scalars.decode(p, at: end)
                            guard set.contains(c) else { break }
                            end += n
                            count += 1
                            if count == min { minEnd = end }
                        }
                        if cached {
                            if end <= runEnd[pc] && count == min { end = runEnd[pc]; count = Swift.max(count, min) }
                        } else if inst.d != 1 && inst.c < 0 {
                            runStart[pc] = pos
                            runEnd[pc] = end
                        }
                        if count < min {
                            ok = false
                        } else {
                            if min == 0 { minEnd = pos }
                            if inst.d == 0 && end > minEnd {
                                stack.append(Frame(kind: 1, pc: Int32(pc + 1), pos: end, aux: minEnd))
                            } else if inst.d == 1 && count < max {
                                stack.append(Frame(kind: 2, pc: Int32(pc), pos: end, aux: count))
                            }
                            pos = end
                            pc += 1
                        }
                    case .anchor:
                        if anchorHolds(TokenRegex.anchors[Int(inst.a)], pos) { pc += 1 } else { ok = false }
                    case .look:
                        let behind = inst.b & 2 != 0
                        var matched = false
                        if behind {
                            var from = pos, n = 0
                            while n < Int(inst.c), from > lo { from = previousStart(from); n += 1 }
                            if n == Int(inst.c) { matched = sub(Int(inst.a), from) == pos }
                        } else {
                            matched = sub(Int(inst.a), pos) != nil
                        }
                        if matched == (inst.b & 1 == 0) { pc += 1 } else { ok = false }
                    case .atomic:
                        if let end = sub(Int(inst.a), pos) { pos = end; pc += 1 } else { ok = false }
                    case .succeed, .match:
                        stack.removeSubrange(base...)
                        return pos
                    }
                }
                if ok { continue }
                // Backtrack.
                guard stack.count > base else { return nil }
                let top = stack.count - 1
                let f = stack[top]
                switch f.kind {
                case 1:
                    let back = previousStart(f.pos)
                    if back > f.aux { stack[top].pos = back } else { stack.removeLast() }
                    pc = Int(f.pc); pos = back
                case 2:
                    let inst = code[Int(f.pc)]
                    stack.removeLast()
                    guard f.pos < hi else { continue }
                    let (c, n) = UTF8Scalars.decode(p, at: f.pos)
                    guard regex.sets[Int(inst.a)].contains(c) else { continue }
                    if inst.c < 0 || f.aux + 1 < Int(inst.c) {
                        stack.append(Frame(kind: 2, pc: f.pc, pos: f.pos + n, aux: f.aux + 1))
                    }
                    pc = Int(f.pc) + 1; pos = f.pos + n
                default:
                    stack.removeLast()
                    pc = Int(f.pc); pos = f.pos
                }
            }
        }
    }

    /// Runs a sub-program (lookaround or atomic body). Its calls share a memo stamp, since a
    /// state that failed fails for every call; a success marks states that did not fail, so
    /// the next call starts a fresh stamp.
    private mutating func sub(_ pc: Int, _ pos: Int) -> Int? {
        let saved = stamp
        if subStamps[pc] == 0 {
            newStamp()
            subStamps[pc] = stamp
        }
        stamp = subStamps[pc]
        defer { stamp = saved }
        let end = run(pc, pos)
        if end != nil { subStamps[pc] = 0 }
        return end
    }
}

extension TokenRegex {
    /// Byte ranges of the matches in `text`, as Oniguruma's `find_iter` reports them.
    public func matches(in text: String) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var m = RegexMatcher(self)
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { buf in m.forEachMatch(buf, 0, buf.count) { out.append($0..<$1) } }
        return out
    }
}

extension TokenRegex: Equatable {
    public static func == (a: TokenRegex, b: TokenRegex) -> Bool { a.pattern.utf8.elementsEqual(b.pattern.utf8) }

    /// `bytes` with every match replaced by `content` (empty matches insert it), as
    /// `NormalizedString::replace` does.
    func replacingMatches(in bytes: [UInt8], with content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var last = 0
        var m = RegexMatcher(self)
        bytes.withUnsafeBufferPointer { p in
            m.forEachMatch(p, 0, p.count) { s, e in
                out += p[last..<s]
                out += content
                last = e
            }
            out += p[last...]
        }
        return out
    }
}
