import CSDAutograd
import CSDDistributed
import CSDTensor
import Testing

/// Records, for each leaf, the gradient it had when the backward pass called it final.
final class ReadinessLog: GradientReadiness {
    var reached: [ObjectIdentifier] = []
    var readyOrder: [ObjectIdentifier] = []
    var gradientAtReady: [ObjectIdentifier: [Float]] = [:]

    func backwardBegins(leaves: [Variable]) { reached = leaves.map(ObjectIdentifier.init) }
    func gradientReady(_ leaf: Variable) {
        readyOrder.append(ObjectIdentifier(leaf))
        gradientAtReady[ObjectIdentifier(leaf)] = leaf.grad?.scalars
    }
}

struct GradientReadinessTests {
    /// Two blocks, the first weight read twice (once by each block), one parameter unused.
    static func graph(recompute: Bool) -> (loss: Variable, first: Variable, second: Variable, unused: Variable) {
        var rng = RandomStream(seed: 3)
        let x = Variable(.randomNormal([4, 3], using: &rng))
        let w1 = Variable(.randomNormal([3, 3], using: &rng), requiresGrad: true)
        let w2 = Variable(.randomNormal([3, 3], using: &rng), requiresGrad: true)
        let unused = Variable(.randomNormal([3], using: &rng), requiresGrad: true)
        let h = x.matmul(w1).gelu()
        let block: (Variable) -> Variable = { $0.matmul(w2).gelu().matmul(w1) }
        let y = recompute ? recomputed(h, parameters: [w1, w2], block) : block(h)
        return ((y * y).mean(), w1, w2, unused)
    }

    @Test(arguments: [false, true])
    func eachLeafIsReadyOnceWithItsFinalGradient(recompute: Bool) {
        let (loss, w1, w2, unused) = Self.graph(recompute: recompute)
        let log = ReadinessLog()
        loss.backward(readiness: log)
        #expect(Set(log.reached) == [ObjectIdentifier(w1), ObjectIdentifier(w2)])
        #expect(log.readyOrder.count == 2)
        // The second block's own weight is final before w1, which the first block also reads.
        #expect(log.readyOrder == [ObjectIdentifier(w2), ObjectIdentifier(w1)])
        for w in [w1, w2] { #expect(log.gradientAtReady[ObjectIdentifier(w)] == w.grad?.scalars) }
        #expect(unused.grad == nil)
        // The same gradients as a pass without readiness.
        let (again, v1, v2, _) = Self.graph(recompute: recompute)
        again.backward()
        #expect(v1.grad?.scalars == w1.grad?.scalars && v2.grad?.scalars == w2.grad?.scalars)
    }

    @Test func aReducerOfOneRankLeavesTheGradientsAsTheyAre() {
        let (loss, w1, w2, unused) = Self.graph(recompute: false)
        // A bucket smaller than one weight: each parameter gets a bucket of its own.
        let reducer = GradientReducer(group: .simulated(rank: 0, of: 2), parameters: [w1, w2, unused], bucketBytes: 8)
        #expect(reducer.bytesPerStep == 4 * (9 + 9 + 3 + 3))
        reducer.begin()
        loss.backward(readiness: reducer)
        let (g1, g2) = (w1.grad?.scalars, w2.grad?.scalars)
        reducer.finish()
        #expect(w1.grad?.scalars == g1 && w2.grad?.scalars == g2)
        // No rank had a gradient for it: it keeps none (the optimiser skips it on every rank).
        #expect(unused.grad == nil)
    }
}
