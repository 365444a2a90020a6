import CSDAutograd
import CSDDistributed
import CSDMethod
import CSDNN
import CSDTensor
import Testing

/// The ranks of a data-parallel step, each simulated on its own (its collectives return its own
/// share), add up to the step of one process: the weighting by rows is exact for any number of
/// ranks, uneven batches and micro-batches included.
struct DataParallelStepTests {
    static let tokens: Tensor = { var rng = RandomStream(seed: 11); return .randomNormal([40, 6], using: &rng) }()

    static func model() -> ContentStyleModel {
        var o = ObjectiveGradientTests.options(.cosine, .labelWhenKnown)
        o.wC = 0.7; o.wS = 0.5
        return ObjectiveGradientTests.model(o)
    }

    static func step(_ m: ContentStyleModel, group: ProcessGroup, microBatches: Int) -> TrainingStep {
        let o = ObjectiveGradientTests.options(.cosine, .labelWhenKnown)
        return TrainingStep(objective: .contentStyle(m), options: o, generator: Adam(groups: [m.headsGroup(o)]),
                            discriminator: m.discriminatorOptimizer(o), microBatches: microBatches, group: group,
                            tokens: { rows in Variable(Kernels.gatherRows(tokens, rows)) })
    }

    // 7 labeled and 13 unlabeled rows: no rank count divides them.
    static let labeled = [3, 9, 1, 30, 22, 5, 17], labels = [0, 2, 1, 1, 0, 2, 2]
    static let unlabeled = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 24, 26]

    static func gradients(_ m: ContentStyleModel) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: m.namedParameters().compactMap { key, p in p.grad.map { (key, $0.scalars) } })
    }

    static func expectClose(_ a: [String: [Float]], _ b: [String: [Float]], _ what: String) {
        #expect(Set(a.keys) == Set(b.keys), "\(what): parameters with gradients differ")
        for (key, x) in a {
            let y = b[key]!
            let worst = zip(x, y).map { abs($0 - $1) / max(1e-3, abs($1)) }.max() ?? 0
            #expect(worst < 1e-4, "\(what): \(key) differs by \(worst) (relative)")
        }
    }

    @Test(arguments: [(2, 1), (3, 2), (5, 1)])
    func theRanksGradientsAndTermsAddUpToTheWholeBatch(ranks: Int, microBatches: Int) throws {
        let whole = Self.model()
        let (wholeTerms, _) = try Self.step(whole, group: .single, microBatches: 1)
            .gradients(labeled: Self.labeled, labels: Self.labels, unlabeled: Self.unlabeled)
        var sum: [String: [Float]] = [:]
        var loss: Float = 0, ce: Float = 0, rec: Float = 0
        for rank in 0..<ranks {
            let m = Self.model()
            let (t, _) = try Self.step(m, group: .simulated(rank: rank, of: ranks), microBatches: microBatches)
                .gradients(labeled: Self.labeled, labels: Self.labels, unlabeled: Self.unlabeled)
            loss += t.loss; ce += t.ce; rec += t.reconstruction
            for (key, g) in Self.gradients(m) { sum[key] = sum[key].map { zip($0, g).map(+) } ?? g }
        }
        Self.expectClose(sum, Self.gradients(whole), "\(ranks) ranks")
        #expect(abs(loss - wholeTerms.loss) < 1e-5 && abs(ce - wholeTerms.ce) < 1e-5 && abs(rec - wholeTerms.reconstruction) < 1e-5)
    }

    @Test func theDiscriminatorsStepDrawsTheWholeBatchAndWeighsItsRows() throws {
        let rows = Self.labeled + Self.unlabeled
        func discriminatorGradients(_ group: ProcessGroup) -> (gradients: [String: [Float]], loss: Float, rng: RandomStream) {
            let m = Self.model()
            let optimizer = Adam(groups: [ParameterGroup(name: "d", parameters: m.discriminatorParameters, learningRate: 0)])
            let mine = group.isDistributed ? TrainingStep.slice(Self.labeled, group.rank, group.size)
                + TrainingStep.slice(Self.unlabeled, group.rank, group.size) : rows
            let codes = m.codes(Kernels.gatherRows(Self.tokens, mine))
            let share = group.isDistributed
                ? BatchShare(group: group, labeled: Self.labeled.count, unlabeled: Self.unlabeled.count,
                             reducer: GradientReducer(group: group, parameters: m.discriminatorParameters)) : nil
            var rng = RandomStream(seed: 5)
            let loss = ContentStyleObjective.trainDiscriminators(model: m, optimizer: optimizer, probabilities: codes.probabilities,
                                                                 style: codes.style, prior: [0.2, 0.3, 0.5], steps: 1,
                                                                 rng: &rng, share: share)!
            return (Self.gradients(m), loss, rng)
        }
        let whole = discriminatorGradients(.single)
        var sum: [String: [Float]] = [:], loss: Float = 0
        for rank in 0..<3 {
            let part = discriminatorGradients(.simulated(rank: rank, of: 3))
            loss += part.loss
            for (key, g) in part.gradients { sum[key] = sum[key].map { zip($0, g).map(+) } ?? g }
            // Every rank drew the whole batch's prior samples: the streams stay in step.
            var (a, b) = (part.rng, whole.rng)
            #expect(a.uniform() == b.uniform())
        }
        Self.expectClose(sum, whole.gradients, "discriminators")
        #expect(abs(loss - whole.loss) < 1e-5)
    }

    @Test func aRankWithNoRowsOfAStepStillTakesIt() throws {
        // 2 labeled and 1 unlabeled rows over 3 ranks: rank 0's slices are both empty.
        let m = Self.model()
        var rng = RandomStream(seed: 1)
        let step = Self.step(m, group: .simulated(rank: 0, of: 3), microBatches: 1)
        let terms = try step.run(labeled: [3, 9], labels: [0, 2], unlabeled: [4], prior: [0.2, 0.3, 0.5], priorRNG: &rng)
        #expect(terms.loss == 0 && terms.discriminator == 0)
        // Its prior stream moved on as every rank's did: the whole batch's 3 rows were drawn.
        var expected = RandomStream(seed: 1)
        _ = ContentStyleObjective.sampleOneHots(3, prior: [0.2, 0.3, 0.5], rng: &expected)
        _ = Tensor.randomNormal([3, 3], using: &expected)
        #expect(rng.uniform() == expected.uniform())
    }
}
