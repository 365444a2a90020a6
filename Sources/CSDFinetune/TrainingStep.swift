import CSDAutograd
import CSDBackbones
import CSDNN
import CSDProbe
import CSDTensor

/// One optimiser step of the content-style objective (or the supervised baseline) with the
/// backbone in the graph, optionally over several micro-batches.
public final class TrainingStep {
    public struct Terms {
        public var loss: Float = 0, ce: Float = 0, reconstruction: Float = 0, adversarialContent: Float = 0
        public var adversarialStyle: Float = 0, discriminator: Float = 0
    }

    let settings: FinetuneSettings
    let backbone: any Backbone
    let heads: ContentStyleModel
    let generator: Adam
    let discriminator: Adam?
    let mean: Variable, std: Variable
    /// Preprocessed pixels of train rows.
    let pixels: ([Int]) throws -> Tensor
    let cached: ReferenceTokens?

    /// `pixels` gives the preprocessed images of train rows [n, 3, H, W].
    public convenience init(settings: FinetuneSettings, backbone: any Backbone, heads: ContentStyleModel, generator: Adam,
                            discriminator: Adam?, statistics: (mean: Tensor, std: Tensor), pixels: @escaping ([Int]) throws -> Tensor) {
        self.init(settings: settings, backbone: backbone, heads: heads, generator: generator, discriminator: discriminator,
                  statistics: statistics, pixels: pixels, cached: nil)
    }

    init(settings: FinetuneSettings, backbone: any Backbone, heads: ContentStyleModel, generator: Adam, discriminator: Adam?,
         statistics: (mean: Tensor, std: Tensor), pixels: @escaping ([Int]) throws -> Tensor, cached: ReferenceTokens?) {
        self.settings = settings; self.backbone = backbone; self.heads = heads
        self.generator = generator; self.discriminator = discriminator
        mean = Variable(statistics.mean); std = Variable(statistics.std)
        self.pixels = pixels; self.cached = cached
    }

    /// The heads' input: the image token, standardised with the fixed statistics (option
    /// `standardize`); gradients flow through into the backbone.
    func tokens(_ pixels: Tensor) -> Variable {
        let y = backbone(Variable(pixels)).imageToken
        return settings.options.standardize ? (y - mean) / std : y
    }

    func logits(_ pixels: Tensor) -> Tensor { heads.encode(tokens(pixels)).logits.value }

    /// Micro-batch `part` of `accumulate` equal slices of `rows`.
    static func slice(_ rows: [Int], _ part: Int, _ parts: Int) -> [Int] {
        Array(rows[(rows.count * part / parts)..<(rows.count * (part + 1) / parts)])
    }

    /// Forward, backward and update on the labeled rows `labeled` (with `labels`) and the
    /// unlabeled rows, then the discriminators' step on the codes of the updated heads.
    public func run(labeled: [Int], labels: [Int], unlabeled: [Int], prior: [Double], priorRNG: inout RandomStream) throws -> Terms {
        let o = settings.options
        var (terms, microBatches) = try gradients(labeled: labeled, labels: labels, unlabeled: unlabeled)
        generator.step()
        guard settings.method == .csd, let discriminator else { return terms }
        // The discriminators see the codes of the updated heads on this step's tokens (the
        // backbone is not run again: its tokens moved by one small step only), or with
        // disc_codes=step the codes of the generator step's forward.
        let fresh: (Tensor, Tensor?)
        if o.discCodes == .step {
            fresh = (Kernels.concat(microBatches.map(\.probabilities), axis: 0),
                     microBatches.first?.style == nil ? nil : Kernels.concat(microBatches.compactMap(\.style), axis: 0))
        } else {
            fresh = heads.codes(Kernels.concat(microBatches.map(\.tokens), axis: 0))
        }
        terms.discriminator = ContentStyleObjective.trainDiscriminators(
            model: heads, optimizer: discriminator, probabilities: fresh.0, style: fresh.1, prior: prior,
            steps: o.discSteps, rng: &priorRNG) ?? 0
        return terms
    }

    /// What one micro-batch's forward leaves for the discriminators' step, cut from the graph.
    struct MicroBatch {
        /// Standardised image tokens.
        let tokens: Tensor
        /// The content code p and the style s of the generator step's forward.
        let probabilities: Tensor
        let style: Tensor?
    }

    /// The generator loss's gradients in the backbone and heads (previous gradients cleared),
    /// over `accumulate` micro-batches whose losses are weighted by their share of the batch, so
    /// that the accumulated gradient is the full batch's.
    func gradients(labeled: [Int], labels: [Int], unlabeled: [Int]) throws -> (Terms, [MicroBatch]) {
        let o = settings.options, parts = settings.accumulate
        let csd = settings.method == .csd
        let total = labeled.count + unlabeled.count
        var terms = Terms()
        var microBatches: [MicroBatch] = []
        backbone.zeroGrad()
        heads.zeroGrad()
        // The discriminators pass gradients through but compute none for their own weights.
        for p in heads.discriminatorParameters { p.requiresGrad = false }
        defer { for p in heads.discriminatorParameters { p.requiresGrad = true } }
        for part in 0..<parts {
            let l = Self.slice(labeled, part, parts), u = Self.slice(unlabeled, part, parts)
            guard !l.isEmpty || !u.isEmpty else { continue }
            let x = tokens(try pixels(l + u))
            let labelShare = labeled.isEmpty ? 0 : Float(l.count) / Float(labeled.count)
            let lPart = Self.slice(labels, part, parts)
            if csd {
                let share = Float(l.count + u.count) / Float(total)
                var weighted = o
                weighted.wCE *= labelShare
                weighted.wRec *= share; weighted.wC *= share; weighted.wS *= share
                let target = cached.map { c in
                    let t = c.rows(l + u)
                    return o.standardize ? Kernels.binary(DivOp.self, Kernels.binary(SubOp.self, t, mean.value), std.value) : t
                }
                let t = ContentStyleObjective.generatorLoss(model: heads, x: x, labels: lPart, options: weighted, target: target)
                t.total.backward()
                terms.loss += t.total.value.item
                terms.ce += t.ce * labelShare
                terms.reconstruction += t.reconstruction * share
                terms.adversarialContent += t.adversarialContent * share
                terms.adversarialStyle += t.adversarialStyle * share
                microBatches.append(MicroBatch(tokens: x.value, probabilities: t.probabilities, style: t.style))
            } else {
                let loss = softmaxCrossEntropy(heads.encode(x).logits, labels: lPart) * labelShare
                loss.backward()
                terms.loss += loss.value.item
                terms.ce += loss.value.item
            }
        }
        return (terms, microBatches)
    }
}
