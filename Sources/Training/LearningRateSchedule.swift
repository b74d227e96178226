// Learning-rate schedules, as functions of the 1-based update step s:
//   noam (the paper, §5.3):  lr = scale · d_model^-0.5 · min(s^-0.5, s · warmup^-1.5)
//   inverse-sqrt (fairseq):   lr = peak · min(s / warmup, √(warmup / s))
//   cosine with warm-up:      lr = peak · s / warmup for s ≤ warmup, then
//                             min + ½(peak − min)(1 + cos(π · min(1, (s − warmup) / (total − warmup))))
//                             (or of the share of a time budget spent, `until` max_minutes)
//   constant:                 lr = peak · min(1, s / warmup)
import Foundation

public enum LearningRateSchedule: Equatable, Sendable {
    case noam(dModel: Int, warmup: Int, scale: Double)
    case inverseSqrt(peak: Double, warmup: Int)
    case cosine(peak: Double, minimum: Double, warmup: Int, total: Int)
    case constant(peak: Double, warmup: Int)

    /// The rate for update `step` (1-based; 0 is treated as 1). `timeFraction`, when given, is the
    /// share of the time budget spent: after warm-up a cosine follows it instead of the step count.
    public func rate(at step: Int, timeFraction: Double? = nil) -> Double {
        let s = Double(Swift.max(step, 1))
        switch self {
        case let .noam(d, warmup, scale):
            return scale * pow(Double(d), -0.5) * Swift.min(pow(s, -0.5), s * pow(Double(Swift.max(warmup, 1)), -1.5))
        case let .inverseSqrt(peak, warmup):
            let w = Double(Swift.max(warmup, 1))
            return peak * Swift.min(s / w, (w / s).squareRoot())
        case let .cosine(peak, minimum, warmup, total):
            if s <= Double(warmup) { return peak * s / Double(Swift.max(warmup, 1)) }
            let progress = Swift.min(1, timeFraction ?? (s - Double(warmup)) / Double(Swift.max(total - warmup, 1)))
            return minimum + 0.5 * (peak - minimum) * (1 + cos(Double.pi * progress))
        case let .constant(peak, warmup):
            return peak * Swift.min(1, s / Double(Swift.max(warmup, 1)))
        }
    }
}

/// The `schedule` section of a training config.
public struct ScheduleSettings: Codable, Equatable, Sendable {
    /// noam, inverse-sqrt, cosine or constant.
    public var kind = "noam"
    public var warmup = 4000
    /// Multiplier of the noam formula.
    public var scale = 1.0
    /// Peak rate of inverse-sqrt, cosine and constant.
    public var peakLR = 5e-4
    /// Final rate of cosine.
    public var minLR = 0.0
    /// Steps over which cosine decays; defaults to training.max_steps.
    public var totalSteps: Int?
    /// What the cosine ends with: "max_steps" (total_steps), or "max_minutes" (the time budget
    /// training.max_minutes, so a timed run still ends its decay).
    public var until = "max_steps"

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, warmup, scale, peakLR = "peak_lr", minLR = "min_lr", totalSteps = "total_steps", until
    }

    public init() {}
    public init(from decoder: Swift.Decoder) throws {
        let c = try strictContainer(decoder, CodingKeys.self)
        let d = ScheduleSettings()
        kind = try c.value(.kind, d.kind)
        warmup = try c.value(.warmup, d.warmup)
        scale = try c.value(.scale, d.scale)
        peakLR = try c.value(.peakLR, d.peakLR)
        minLR = try c.value(.minLR, d.minLR)
        totalSteps = try c.decodeIfPresent(Int.self, forKey: .totalSteps)
        until = try c.value(.until, d.until)
    }

    func validate() throws {
        guard ["noam", "inverse-sqrt", "cosine", "constant"].contains(kind) else {
            throw TrainingError("schedule.kind must be noam, inverse-sqrt, cosine or constant (got '\(kind)')")
        }
        guard warmup >= 0 else { throw TrainingError("schedule.warmup must not be negative") }
        guard scale > 0, peakLR > 0 else { throw TrainingError("schedule.scale and schedule.peak_lr must be positive") }
        guard minLR >= 0, minLR <= peakLR else { throw TrainingError("schedule.min_lr must be in [0, peak_lr]") }
        guard totalSteps.map({ $0 > warmup }) ?? true else { throw TrainingError("schedule.total_steps must exceed schedule.warmup") }
        guard ["max_steps", "max_minutes"].contains(until) else { throw TrainingError("schedule.until must be max_steps or max_minutes (got '\(until)')") }
        guard until == "max_steps" || kind == "cosine" else { throw TrainingError("schedule.until max_minutes applies to the cosine schedule only") }
    }

    /// The schedule for a model of width `dModel` trained for `maxSteps` updates.
    public func schedule(dModel: Int, maxSteps: Int) -> LearningRateSchedule {
        switch kind {
        case "inverse-sqrt": return .inverseSqrt(peak: peakLR, warmup: warmup)
        case "cosine": return .cosine(peak: peakLR, minimum: minLR, warmup: warmup, total: totalSteps ?? maxSteps)
        case "constant": return .constant(peak: peakLR, warmup: warmup)
        default: return .noam(dModel: dModel, warmup: warmup, scale: scale)
        }
    }
}
