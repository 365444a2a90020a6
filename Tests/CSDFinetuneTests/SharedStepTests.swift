import CSDAutograd
import CSDBackbones
import CSDData
@testable import CSDFinetune
import CSDMethod
import CSDNN
@testable import CSDProbe
import CSDTensor
import CSDTestSupport
import Testing

/// probe and finetune run one `TrainingStep`: with the backbone frozen, one step through
/// finetune's path (tokens from the backbone, in the graph) and through probe's (the same tokens
/// as constants, as a cache holds them) gives the same loss terms and the same heads after the
/// update, so the two tools cannot drift apart.
struct SharedStepTests {
    @Test(arguments: [TrainingMethod.csd, .supervised])
    func probeAndFinetuneTakeTheSameStep(method: TrainingMethod) throws {
        let root = TemporaryFolder()
        let folder = try FinetuneTests.tinyModel(root.url)
        var s = FinetuneTests.settings(root.url, "shared", model: folder, method: method)
        s.options.reconstruction = .mse
        let backbone = try BackboneLoader.load(folder: folder)
        backbone.freezeEmbeddingAndBlocks(backbone.blocks.count)
        let bank = try ImageBank(split: try DatasetRegistry.open(FinetuneTests.dataset).split("train"),
                                 preprocessing: backbone.preprocessing(imageSize: nil))
        let rows = Array(0..<bank.count)
        let cached = GradMode.withoutGradients { backbone(Variable(try! bank.pixels(rows))).imageToken.value }
        let standardization = Standardization(fitting: cached)
        let d = backbone.imageTokenDimension
        let labeled = [0, 3, 5, 8, 11, 14, 17, 21], unlabeled = method == .csd ? Array(30..<62) : []
        let labels = labeled.map { bank.labels[$0] }
        let prior = [Double](repeating: 0.1, count: 10)

        // probe's path: its own step builder on cached tokens.
        var probeRNG = RandomStream(seed: s.seed, .initialisation)
        let spec = RunSpec(method: method, labels: labeled.count, seed: s.seed, options: s.options, epochs: 1)
        let (probeStep, probeLogits, _) = ProbeTrainer.makeStep(spec, dimension: d, classes: 10, rng: &probeRNG) { rows in
            Variable(standardization.apply(Kernels.gatherRows(cached, rows)))
        }
        var probePrior = RandomStream(seed: s.seed, .prior)
        let probeTerms = try probeStep.run(labeled: labeled, labels: labels, unlabeled: unlabeled, prior: prior,
                                           priorRNG: &probePrior)

        // finetune's path: the backbone computes the tokens inside the step.
        var finetuneRNG = RandomStream(seed: s.seed, .initialisation)
        let heads = ContentStyleModel(dimension: d, classes: 10, options: s.options, supervisedOnly: method == .supervised,
                                      rng: &finetuneRNG)
        let generator = Adam.adamW(groups: [ParameterGroup(name: "backbone", parameters: backbone.trainableParameters,
                                                           learningRate: s.backboneLR), heads.headsGroup(s.options)])
        let finetuneStep = TrainingStep(finetune: s, backbone: backbone, heads: heads, generator: generator,
                                        discriminator: heads.discriminatorOptimizer(s.options),
                                        standardization: standardization) { try bank.pixels($0) }
        var finetunePrior = RandomStream(seed: s.seed, .prior)
        let finetuneTerms = try finetuneStep.run(labeled: labeled, labels: labels, unlabeled: unlabeled, prior: prior,
                                                 priorRNG: &finetunePrior)

        for (a, b) in [(probeTerms.loss, finetuneTerms.loss), (probeTerms.ce, finetuneTerms.ce),
                       (probeTerms.reconstruction, finetuneTerms.reconstruction),
                       (probeTerms.adversarialContent, finetuneTerms.adversarialContent),
                       (probeTerms.discriminator, finetuneTerms.discriminator)] {
            #expect(abs(a - b) <= 1e-6 * max(1, abs(a)), "\(a) vs \(b)")
        }
        #expect(probeTerms.loss > 0)
        // The updated heads agree: same logits on every train token.
        let x = Variable(standardization.apply(cached))
        let after = GradMode.withoutGradients { (probeLogits(x).value, heads.encode(x).logits.value) }
        var worst: Float = 0
        for i in 0..<after.0.count { worst = max(worst, abs(after.0[flat: i] - after.1[flat: i])) }
        #expect(worst <= 1e-5, "logits after the step differ by \(worst)")
    }
}
