// Errors of training: bad configs and data (naming the key or file), checkpoint problems,
// and a run stopped because its loss or gradients kept going non-finite.

public struct TrainingError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
