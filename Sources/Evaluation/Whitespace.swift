// Whitespace exactly as Python's str.isspace defines it, which sacreBLEU uses through
// str.split() and str.rstrip(): the scalars of Unicode category Zs or bidi class WS/B/S.
// Text is handled as Unicode scalars (Python code points), never as Swift Characters:
// grapheme clusters and canonical equivalence would count and compare differently.

extension Unicode.Scalar {
    var isPythonWhitespace: Bool {
        switch value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A,
             0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }
}

extension Collection where Element == Unicode.Scalar {
    /// Python's `str.split()` with no arguments: runs of whitespace separate, no empty pieces.
    func splitOnPythonWhitespace() -> [[Unicode.Scalar]] {
        split(whereSeparator: \.isPythonWhitespace).map(Array.init)
    }
}

extension BidirectionalCollection where Element == Unicode.Scalar {
    /// Python's `str.rstrip()` with no arguments.
    func droppingTrailingPythonWhitespace() -> SubSequence {
        var end = endIndex
        while end > startIndex, self[index(before: end)].isPythonWhitespace {
            end = index(before: end)
        }
        return self[startIndex..<end]
    }
}

extension String {
    init<S: Sequence>(scalars: S) where S.Element == Unicode.Scalar {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        self = String(view)
    }
}
