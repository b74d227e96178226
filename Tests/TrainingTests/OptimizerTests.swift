// Adam/AdamW against hand-computed values and PyTorch's torch.optim.AdamW (numbers computed
// once with PyTorch 2.x and pasted here); schedules' formulas; clipping by global norm.
import Foundation
import Testing
import Training

@Suite struct OptimizerTests {
    func parameters() -> [(name: String, tensor: Tensor)] {
        [("w", parameter(Tensor([0.5, -1.0, 1.5, 2.0], shape: [2, 2]))), ("b", parameter(Tensor([0.25, -0.75])))]
    }

    @Test func firstStepMovesEachWeightByTheLearningRate() {
        // Step 1: m̂ = g and v̂ = g², so the update is lr·sign(g) (ε aside), after decay p·(1 − lr·λ).
        let params = parameters()
        let adam = Adam(parameters: params, beta1: 0.9, beta2: 0.98, epsilon: 1e-9, weightDecay: 0.1)
        params[0].tensor.grad = Tensor([0.1, -0.2, 0.3, 0.4], shape: [2, 2])
        params[1].tensor.grad = Tensor([1.0, -0.5])
        adam.update(learningRate: 0.01)
        let expectedW: [Float] = [0.5 * 0.999 - 0.01, -1.0 * 0.999 + 0.01, 1.5 * 0.999 - 0.01, 2.0 * 0.999 - 0.01]
        for (a, e) in zip(params[0].tensor.scalars, expectedW) { #expect(abs(a - e) < 1e-6) }
        // Vectors (biases, norm gains) are not decayed.
        #expect(abs(params[1].tensor.scalars[0] - 0.24) < 1e-6 && abs(params[1].tensor.scalars[1] + 0.74) < 1e-6)
        #expect(adam.step == 1)
    }

    @Test func matchesPyTorchAdamWOverThreeSteps() {
        // torch.optim.AdamW(lr=0.01, betas=(0.9, 0.98), eps=1e-9), weight_decay 0.1 on w, 0 on b.
        let expected: [([Float], [Float])] = [
            ([0.489500016, -0.989000022, 1.4885, 1.98800004], [0.239999995, -0.74000001]),
            ([0.48633945, -0.985339999, 1.47729003, 1.98511767], [0.23065123, -0.737328947]),
            ([0.483778328, -0.988235176, 1.47026336, 1.9801054], [0.232703522, -0.735254169]),
        ]
        let grads: [([Float], [Float])] = [
            ([0.1, -0.2, 0.3, 0.4], [1.0, -0.5]), ([-0.05, 0.1, 0.2, -0.3], [0.5, 0.25]), ([0.0, 0.3, -0.1, 0.2], [-2.0, 0.0]),
        ]
        let params = parameters()
        let adam = Adam(parameters: params, beta1: 0.9, beta2: 0.98, epsilon: 1e-9, weightDecay: 0.1)
        for ((gw, gb), (ew, eb)) in zip(grads, expected) {
            params[0].tensor.grad = Tensor(gw, shape: [2, 2])
            params[1].tensor.grad = Tensor(gb)
            adam.update(learningRate: 0.01)
            for (a, e) in zip(params[0].tensor.scalars + params[1].tensor.scalars, ew + eb) { #expect(abs(a - e) < 2e-6, "\(a) vs \(e)") }
        }
    }

    @Test func parameterWithoutGradientIsLeftAlone() {
        let params = parameters()
        let adam = Adam(parameters: params)
        params[0].tensor.grad = Tensor(repeating: 1, shape: [2, 2])
        adam.update(learningRate: 0.1)
        #expect(params[1].tensor.scalars == [0.25, -0.75])
        #expect(adam.firstMoments[1].scalars == [0, 0])
    }

    @Test func noamScheduleFollowsThePaper() {
        let s = LearningRateSchedule.noam(dModel: 512, warmup: 4000, scale: 1)
        // Peak at step = warmup: d^-0.5 · warmup^-0.5.
        #expect(abs(s.rate(at: 4000) - pow(512, -0.5) * pow(4000, -0.5)) < 1e-12)
        #expect(abs(s.rate(at: 100) - pow(512, -0.5) * 100 * pow(4000, -1.5)) < 1e-12)
        #expect(abs(s.rate(at: 16000) - pow(512, -0.5) * pow(16000, -0.5)) < 1e-12)
        #expect(s.rate(at: 3999) < s.rate(at: 4000) && s.rate(at: 4001) < s.rate(at: 4000))
    }

    @Test func inverseSqrtAndCosineSchedules() {
        let inv = LearningRateSchedule.inverseSqrt(peak: 1e-3, warmup: 100)
        #expect(abs(inv.rate(at: 50) - 5e-4) < 1e-12)
        #expect(abs(inv.rate(at: 100) - 1e-3) < 1e-12)
        #expect(abs(inv.rate(at: 400) - 5e-4) < 1e-12)
        let cos = LearningRateSchedule.cosine(peak: 1e-3, minimum: 1e-4, warmup: 10, total: 110)
        #expect(abs(cos.rate(at: 5) - 5e-4) < 1e-12)
        #expect(abs(cos.rate(at: 10) - 1e-3) < 1e-12)
        #expect(abs(cos.rate(at: 60) - 5.5e-4) < 1e-12)
        #expect(abs(cos.rate(at: 110) - 1e-4) < 1e-12)
        #expect(abs(cos.rate(at: 500) - 1e-4) < 1e-12)
        #expect(LearningRateSchedule.constant(peak: 2e-3, warmup: 4).rate(at: 2) == 1e-3)
        // Ending with a time budget: after warm-up the share of the budget spent drives the cosine.
        #expect(abs(cos.rate(at: 20, timeFraction: 0.5) - 5.5e-4) < 1e-12)
        #expect(abs(cos.rate(at: 20, timeFraction: 1.5) - 1e-4) < 1e-12)
        #expect(abs(cos.rate(at: 5, timeFraction: 0.9) - 5e-4) < 1e-12)
    }

    @Test func clippingScalesToTheGlobalNorm() {
        let params = parameters()
        params[0].tensor.grad = Tensor([3, 0, 0, 0], shape: [2, 2])
        params[1].tensor.grad = Tensor([0, 4])
        let norm = GradientClipping.clip(params.map(\.tensor), maxNorm: 1)
        #expect(abs(norm - 5) < 1e-9)
        #expect(abs(GradientClipping.globalNorm(params.map(\.tensor)) - 1) < 1e-5)
        #expect(abs(params[0].tensor.grad!.scalars[0] - 0.6) < 1e-6 && abs(params[1].tensor.grad!.scalars[1] - 0.8) < 1e-6)
        // Below the bound nothing changes.
        let before = params[1].tensor.grad!.scalars
        GradientClipping.clip(params.map(\.tensor), maxNorm: 10)
        #expect(params[1].tensor.grad!.scalars == before)
    }

    @Test func nonFiniteGradientGivesNonFiniteNorm() {
        let params = parameters()
        params[0].tensor.grad = Tensor([1, .nan, 0, 0], shape: [2, 2])
        #expect(!GradientClipping.globalNorm(params.map(\.tensor)).isFinite)
    }
}
