import CSDAutograd
import CSDNN
import CSDSafetensors
import CSDTensor
import Foundation
import Testing

/// Adam and AdamW with two parameter groups and global-norm clipping, step for step against
/// torch.optim (fixture from tools/make_optimizer_fixture.py).
struct OptimizerParityTests {
    static func maxRelativeError(_ a: Tensor, _ b: Tensor) -> Float {
        var diff: Float = 0, scale: Float = 0
        for i in 0..<a.count {
            diff = max(diff, abs(a[flat: i] - b[flat: i]))
            scale = max(scale, abs(b[flat: i]))
        }
        return diff / max(scale, 1e-12)
    }

    @Test(arguments: ["adam", "adamw"])
    func trajectoryMatchesPyTorch(_ kind: String) throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/optimizer_parity", withExtension: "safetensors"))
        let f = try SafetensorsFile(url: url)
        let p1 = Variable(try f.tensor("init.p1"), requiresGrad: true)
        let p2 = Variable(try f.tensor("init.p2"), requiresGrad: true)
        let groups = [
            ParameterGroup(name: "g1", parameters: [p1], learningRate: 1e-2, beta1: 0.9, beta2: 0.999, weightDecay: 0.1),
            ParameterGroup(name: "g2", parameters: [p2], learningRate: 5e-3, beta1: 0.5, beta2: 0.999, weightDecay: 0),
        ]
        let optimizer = kind == "adamw" ? Adam.adamW(groups: groups) : Adam(groups: groups)
        for step in 0..<5 {
            optimizer.zeroGrad()
            p1.grad = try f.tensor("grad.\(step).p1")
            p2.grad = try f.tensor("grad.\(step).p2")
            let norm = clipGradientNorm([p1, p2], maxNorm: 1)
            let expectedNorm = try f.tensor("norm.\(step)").item
            #expect(abs(norm - expectedNorm) <= 1e-5 * expectedNorm, "step \(step): norm \(norm) vs \(expectedNorm)")
            optimizer.step()
            let e1 = Self.maxRelativeError(p1.value, try f.tensor("\(kind).\(step).p1"))
            let e2 = Self.maxRelativeError(p2.value, try f.tensor("\(kind).\(step).p2"))
            #expect(e1 <= 1e-5 && e2 <= 1e-5, "\(kind) step \(step): errors \(e1), \(e2)")
        }
    }

    @Test func frozenParametersAreNotUpdated() {
        let p = Variable(Tensor([1, 2, 3], shape: [3]), requiresGrad: true)
        let q = Variable(Tensor([1, 2, 3], shape: [3]), requiresGrad: true)
        let optimizer = Adam(groups: [ParameterGroup(parameters: [p, q], learningRate: 0.1)])
        let loss = (p * q).sum()
        loss.backward()
        q.requiresGrad = false
        optimizer.step()
        #expect(q.value.scalars == [1, 2, 3])
        #expect(p.value.scalars != [1, 2, 3])
    }

    @Test func clippingLeavesSmallGradientsAlone() {
        let p = Variable(Tensor(zeros: [2]), requiresGrad: true)
        p.grad = Tensor([0.3, 0.4], shape: [2])
        let norm = clipGradientNorm([p], maxNorm: 1)
        #expect(abs(norm - 0.5) < 1e-6)
        #expect(p.grad!.scalars == [0.3, 0.4])
    }
}
