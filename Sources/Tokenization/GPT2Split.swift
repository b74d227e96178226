/// A hand-written scanner equal to GPT-2's pre-tokenization regex
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// (leftmost alternative wins, each greedy), about 20× faster than a regex engine.
enum GPT2Split {
    /// Calls `emit(start, end)` for each match in `bytes[lo..<hi]`; matches cover the range.
    static func scan(_ p: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int, _ emit: (Int, Int) -> Void) {
        let letter = CharClass.letter, number = CharClass.number, space = CharClass.whitespace
        var i = lo
        while i < hi {
            let start = i
            if p[i] == UInt8(ascii: "'"), i + 1 < hi, let n = contractionLength(p, i, hi) {
                emit(start, i + n)
                i += n
                continue
            }
            var (c, n) = UTF8Scalars.decode(p, at: i)
            var cls = CharClass.of(c)
            var j = i
            if c == 0x20, i + 1 < hi {
                // " ?X": a single space joins a following letter, number or other run.
                let (c2, n2) = UTF8Scalars.decode(p, at: i + 1)
                let cls2 = CharClass.of(c2)
                if cls2 & space == 0 { j = i + 1; c = c2; n = n2; cls = cls2 }
            }
            if cls & space != 0 {
                // \s+(?!\S) then \s+: a run of whitespace, less its last character when a
                // non-space follows and the run is longer than one.
                var k = i, last = i
                while k < hi {
                    let (ck, nk) = UTF8Scalars.decode(p, at: k)
                    guard CharClass.of(ck) & space != 0 else { break }
                    last = k
                    k += nk
                }
                let end = (k < hi && last > i) ? last : k
                emit(start, end)
                i = end
                continue
            }
            let want: UInt8 = cls & letter != 0 ? letter : cls & number != 0 ? number : 0
            var k = j + n
            while k < hi {
                let (ck, nk) = UTF8Scalars.decode(p, at: k)
                let ckCls = CharClass.of(ck)
                let same = want != 0 ? ckCls & want != 0 : ckCls & (letter | number | space) == 0
                guard same else { break }
                k += nk
            }
            emit(start, k)
            i = k
        }
    }

    /// Length of `'s 't 'm 'd 're 've 'll` at `i`, or nil.
    @inline(__always)
    private static func contractionLength(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ hi: Int) -> Int? {
        let a = p[i + 1]
        switch a {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"): return 2
        default: break
        }
        guard i + 2 < hi else { return nil }
        let b = p[i + 2]
        if (a == UInt8(ascii: "r") || a == UInt8(ascii: "v")) && b == UInt8(ascii: "e") { return 3 }
        if a == UInt8(ascii: "l") && b == UInt8(ascii: "l") { return 3 }
        return nil
    }
}
