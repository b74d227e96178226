// Scheduled sampling (Bengio et al., 2015) for the parallel decoder, in two passes: the first
// (no gradients, no dropout) predicts every position under teacher forcing; the second trains
// on an input where each gold token after <bos> is replaced, with probability p(step), by the
// model's own prediction for that position. p rises linearly:
//   p(s) = max_probability · clamp((s − start_step) / ramp_steps, 0, 1).
import Models

public struct ScheduledSamplingSettings: Codable, Equatable, Sendable {
    /// Off by default.
    public var enabled = false
    public var maxProbability = 0.25
    public var startStep = 0
    public var rampSteps = 10_000

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, maxProbability = "max_probability", startStep = "start_step", rampSteps = "ramp_steps"
    }

    public init() {}
    public init(from decoder: Swift.Decoder) throws {
        let c = try strictContainer(decoder, CodingKeys.self)
        let d = ScheduledSamplingSettings()
        enabled = try c.value(.enabled, d.enabled)
        maxProbability = try c.value(.maxProbability, d.maxProbability)
        startStep = try c.value(.startStep, d.startStep)
        rampSteps = try c.value(.rampSteps, d.rampSteps)
    }

    func validate() throws {
        guard maxProbability >= 0 && maxProbability <= 1 else { throw TrainingError("scheduled_sampling.max_probability must be in [0, 1]") }
        guard startStep >= 0, rampSteps >= 1 else { throw TrainingError("scheduled_sampling.start_step must be ≥ 0 and ramp_steps ≥ 1") }
    }
}

public struct ScheduledSampling: Sendable {
    public let settings: ScheduledSamplingSettings
    /// Decides which tokens are replaced; saved with checkpoints.
    public var generator: RandomGenerator

    public init(settings: ScheduledSamplingSettings, seed: UInt64) {
        self.settings = settings
        generator = RandomGenerator(seed: seed)
    }

    /// The replacement probability at update `step`.
    public func probability(at step: Int) -> Double {
        guard settings.enabled else { return 0 }
        let ramp = Double(step - settings.startStep) / Double(settings.rampSteps)
        return settings.maxProbability * Swift.min(1, Swift.max(0, ramp))
    }

    /// The decoder input with tokens replaced: position j ≥ 1 (not padding) takes the argmax
    /// of `logits` at j − 1 (the model's guess for that token) with probability `p`.
    public mutating func mix(targetIn: Tensor, logits: Tensor, probability p: Double, padId: Int32) -> Tensor {
        let (b, t, v) = (targetIn.shape[0], targetIn.shape[1], logits.shape[2])
        let out = targetIn.copy()
        guard p > 0 else { return out }
        let ids = out.intData, x = logits.data
        for r in 0..<b {
            for j in 1..<Swift.max(t, 1) where ids[r * t + j] != padId {
                guard Double(generator.nextFloat()) < p else { continue }
                let row = x + (r * t + j - 1) * v
                var best = 0
                for k in 1..<v where row[k] > row[best] { best = k }
                ids[r * t + j] = Int32(best)
            }
        }
        return out
    }
}
