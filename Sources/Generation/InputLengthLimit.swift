// The longest input a model is given, in tokens. Attention costs grow with the square of the
// input length and the output length cap grows with it too, so an unbounded line (a pasted
// book, a runaway file) would run for hours; like CTranslate2 (max_input_length 1024), every
// front end cuts inputs to their first `maxTokens` tokens and says so.

public struct InputLengthLimit: Sendable, Equatable {
    /// CTranslate2's default, and ours.
    public static let defaultTokens = 1024

    public var maxTokens: Int

    public init(maxTokens: Int = InputLengthLimit.defaultTokens) {
        precondition(maxTokens >= 1, "InputLengthLimit: maxTokens must be at least 1")
        self.maxTokens = maxTokens
    }

    /// `ids` cut to their first `maxTokens` tokens, keeping `suffix` (e.g. the source's <eos>)
    /// after them within the limit; `originalCount` is the length before cutting, nil if nothing was cut.
    public func apply(_ ids: [Int32], suffix: [Int32] = []) -> (ids: [Int32], originalCount: Int?) {
        let total = ids.count + suffix.count
        guard total > maxTokens else { return (ids + suffix, nil) }
        let keep = max(0, maxTokens - suffix.count)
        return (Array(ids.prefix(keep)) + suffix.prefix(maxTokens), total)
    }
}
