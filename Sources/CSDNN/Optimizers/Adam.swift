import CSDAutograd
import CSDTensor
import Foundation

/// Adam (L2 weight decay added to the gradient) or AdamW (decoupled decay), per parameter group,
/// with PyTorch's update rule and bias corrections.
///
/// Parameters without a gradient (frozen, or unused this step) are skipped and keep their
/// moments. `moments(of:)` and `setMoments(for:m:v:step:)` read and restore a parameter's
/// moments and step count (checkpoints).
public final class Adam {
    public enum WeightDecay: Sendable { case l2, decoupled }

    public var groups: [ParameterGroup]
    public let weightDecayMode: WeightDecay
    /// Per parameter: first and second moments and its own step count.
    public private(set) var moments: [ObjectIdentifier: (m: Tensor, v: Tensor, step: Int)] = [:]

    public init(groups: [ParameterGroup], weightDecay: WeightDecay = .l2) {
        self.groups = groups
        self.weightDecayMode = weightDecay
    }

    /// AdamW: decoupled weight decay.
    public static func adamW(groups: [ParameterGroup]) -> Adam { Adam(groups: groups, weightDecay: .decoupled) }

    public func step() {
        for group in groups {
            for p in group.parameters where p.requiresGrad {
                guard let g = p.grad else { continue }
                update(p, gradient: g, group: group)
            }
        }
    }

    public func zeroGrad() {
        for group in groups { for p in group.parameters { p.zeroGrad() } }
    }

    private func update(_ p: Variable, gradient g: Tensor, group: ParameterGroup) {
        let id = ObjectIdentifier(p)
        var state = moments[id] ?? (Tensor(zeros: p.shape), Tensor(zeros: p.shape), 0)
        moments[id] = nil // drop the dictionary's reference so the moments mutate in place
        state.step += 1
        let (b1, b2, eps, lr, wd) = (group.beta1, group.beta2, group.eps, group.learningRate, group.weightDecay)
        let correction1 = 1 - Float(pow(Double(b1), Double(state.step)))
        let correction2Root = Float((1 - pow(Double(b2), Double(state.step))).squareRoot())
        let stepSize = lr / correction1
        let decoupled = weightDecayMode == .decoupled
        state.m.makeUnique()
        state.v.makeUnique()
        p.value.makeUnique()
        let pm = state.m.storage.pointer, pv = state.v.storage.pointer
        let pw = p.value.storage.pointer, pg = g.storage.pointer
        let coefficients = AdamKernel.Coefficients(
            beta1: b1, beta2: b2, eps: eps, stepSize: stepSize, inverseCorrection2Root: 1 / correction2Root,
            l2: decoupled ? 0 : wd, shrink: decoupled ? 1 - lr * wd : 1)
        Threads.parallelFor(p.value.count, grain: Grain.elementwise) { r in
            AdamKernel.update(w: pw, m: pm, v: pv, g: pg, range: r, coefficients)
        }
        withExtendedLifetime(g) {}
        moments[id] = state
    }

    /// Restores a parameter's moments (from a checkpoint).
    public func setMoments(for p: Variable, m: Tensor, v: Tensor, step: Int) {
        precondition(m.shape == p.shape && v.shape == p.shape, "moments do not match parameter \(p.shape)")
        moments[ObjectIdentifier(p)] = (m, v, step)
    }

    /// A parameter's moments and step count; nil before its first update.
    public func moments(of p: Variable) -> (m: Tensor, v: Tensor, step: Int)? { moments[ObjectIdentifier(p)] }
}
