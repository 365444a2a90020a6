import CSDAutograd
import CSDMethod
import CSDTensor
import Testing

/// Finite differences on the full content-style objective (every term on) and on the
/// discriminators' loss, for every parameter tensor.
struct ObjectiveGradientTests {
    static func model(_ o: MethodOptions) -> ContentStyleModel {
        var rng = RandomStream(seed: 7)
        let m = ContentStyleModel(dimension: 6, classes: 3, options: o, rng: &rng)
        // Larger weights than the default init, so every term has a gradient worth checking.
        var draws = RandomStream(seed: 8)
        for (_, p) in m.namedParameters() { p.value = .randomNormal(p.shape, std: 0.5, using: &draws) }
        return m
    }

    static func options(_ reconstruction: MethodOptions.Reconstruction, _ content: MethodOptions.DecoderContent) -> MethodOptions {
        var o = MethodOptions()
        o.hidden = 8; o.styleDim = 3; o.discHidden = 5
        o.reconstruction = reconstruction
        o.decoderContent = content
        o.wC = 0.7; o.wS = 0.5
        return o
    }

    /// Worst |analytic - numeric| / max(1, |numeric|) over sampled coordinates of every parameter.
    static func worstError(_ m: ContentStyleModel, loss: () -> Variable) -> (Float, String) {
        m.zeroGrad()
        loss().backward()
        var worst: Float = 0, at = "-"
        for (key, p) in m.namedParameters() {
            let analytic = p.grad ?? Tensor(zeros: p.shape)
            let step = max(1, p.value.count / 6)
            for i in stride(from: 0, to: p.value.count, by: step) {
                let original = p.value[flat: i]
                let eps: Float = 1e-2
                p.value[flat: i] = original + eps
                let plus = GradMode.withoutGradients { Double(loss().value.item) }
                p.value[flat: i] = original - eps
                let minus = GradMode.withoutGradients { Double(loss().value.item) }
                p.value[flat: i] = original
                let numeric = Float((plus - minus) / (2 * Double(eps)))
                let err = abs(analytic[flat: i] - numeric) / max(1, abs(numeric))
                if err > worst { worst = err; at = "\(key)[\(i)]: analytic \(analytic[flat: i]) numeric \(numeric)" }
            }
        }
        return (worst, at)
    }

    @Test(arguments: [(MethodOptions.Reconstruction.cosine, MethodOptions.DecoderContent.predicted),
                      (.mse, .labelWhenKnown)])
    func generatorLossMatchesFiniteDifferences(_ choice: (MethodOptions.Reconstruction, MethodOptions.DecoderContent)) {
        let o = Self.options(choice.0, choice.1)
        let m = Self.model(o)
        var rng = RandomStream(seed: 9)
        let x = Variable(.randomNormal([7, 6], using: &rng))
        let labels = [2, 0, 1]
        let (error, at) = Self.worstError(m) {
            ContentStyleObjective.generatorLoss(model: m, x: x, labels: labels, options: o).total
        }
        #expect(error <= 2e-2, "worst error \(error) at \(at)")
    }

    @Test func discriminatorLossMatchesFiniteDifferences() {
        let o = Self.options(.cosine, .predicted)
        let m = Self.model(o)
        var rng = RandomStream(seed: 10)
        let p = Kernels.apply(Pointwise.Exp(), .randomNormal([7, 3], using: &rng))
        let s = Tensor.randomNormal([7, 3], using: &rng)
        var oneHots = Tensor(zeros: [7, 3])
        for r in 0..<7 { oneHots[flat: r * 3 + r % 3] = 1 }
        let z = Tensor.randomNormal([7, 3], using: &rng)
        let (error, at) = Self.worstError(m) {
            ContentStyleObjective.discriminatorLoss(model: m, probabilities: p, style: s, priorOneHots: oneHots, gaussian: z)!
        }
        #expect(error <= 2e-2, "worst error \(error) at \(at)")
    }
}
