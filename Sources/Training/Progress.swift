// Progress display: on a terminal (isatty(2)), one live line rewritten in place with epoch,
// step, loss, learning rate, tokens/s and ETA; otherwise, plain log lines. Both go to stderr.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class Progress {
    public let isTerminal: Bool
    private let totalSteps: Int
    private var lineOpen = false

    public init(totalSteps: Int, isTerminal: Bool = isatty(2) != 0) {
        self.totalSteps = totalSteps
        self.isTerminal = isTerminal
    }

    /// Formats a duration as 1h02m, 3m05s or 42s.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite && seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, s % 3600 / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }

    /// The status text of a training step; `secondsPerStep` gives the ETA to the last step.
    public func statusLine(epoch: Int, step: Int, loss: Double, learningRate: Double, tokensPerSecond: Double,
                           secondsPerStep: Double) -> String {
        let eta = Progress.duration(Double(totalSteps - step) * secondsPerStep)
        return String(format: "epoch %d  step %d/%d  loss %.4f  lr %.3e  %.0f tok/s  ETA ",
                      epoch, step, totalSteps, loss, learningRate, tokensPerSecond) + eta
    }

    /// A live update (replaced by the next one on a terminal, a log line otherwise).
    public func update(_ line: String) {
        if isTerminal {
            write("\r\u{1B}[2K" + line)
            lineOpen = true
        } else {
            message(line)
        }
    }

    /// A line that stays (validation results, warnings).
    public func message(_ line: String) {
        if lineOpen { write("\r\u{1B}[2K"); lineOpen = false }
        write(line + "\n")
    }

    /// Ends a live line so later output starts on a fresh line.
    public func finish() {
        if lineOpen { write("\n"); lineOpen = false }
    }

    private func write(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }
}
