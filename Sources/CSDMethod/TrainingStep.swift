import CSDAutograd
import CSDDistributed
import CSDNN
import CSDTensor
import Foundation

/// One optimiser step of a method, the same for probe (tokens read from a cache) and finetune
/// (tokens from the backbone, in the graph): the generator loss over the labeled and unlabeled
/// rows, its gradient, the encoder/decoder (and backbone) update, then the discriminators' step.
///
/// The batch may be split into micro-batches: each one's loss terms are weighted by its share of
/// the batch's rows, so the accumulated gradient is the whole batch's (memory follows the
/// micro-batch). Data-parallel (a `group` of several processes), each rank takes its slice of
/// the global batch's labeled and unlabeled rows, weighted by their share of the global batch,
/// and the gradients and loss terms are summed over the ranks: every rank takes the step of the
/// whole batch, the same for any number of ranks up to float summation order.
public final class TrainingStep {
    /// The loss terms of one step (each the batch's, whatever the micro-batches).
    public struct Terms: Sendable {
        public var loss: Float = 0, ce: Float = 0, reconstruction: Float = 0, adversarialContent: Float = 0
        public var adversarialStyle: Float = 0, discriminator: Float = 0
        public init() {}
    }

    /// What is trained.
    public enum Objective {
        /// docs/METHOD.md's loss on the heads (csd).
        case contentStyle(ContentStyleModel)
        /// Cross-entropy of these logits on the labeled rows only (the supervised and linear
        /// baselines).
        case crossEntropy(logits: (Variable) -> Variable)
    }

    public let objective: Objective
    public let options: MethodOptions
    /// Encoder and decoder (and the backbone's trainable weights, for finetune).
    public let generator: Adam
    public let discriminator: Adam?
    public let microBatches: Int
    /// The standardised tokens of train rows: constants from a cache, or the backbone's output
    /// with its graph.
    let tokens: ([Int]) throws -> Variable
    /// The reconstruction target of train rows (standardised); nil: the live token, gradient
    /// stopped.
    let target: (([Int]) throws -> Tensor)?
    /// The processes sharing each step, and (with several) the reductions of the generator's and
    /// the discriminators' gradients.
    public let group: ProcessGroup
    let generatorReducer: GradientReducer?, discriminatorReducer: GradientReducer?
    /// Seconds the last step waited for gradient and loss reductions.
    public private(set) var communicationWait = 0.0
    /// Seconds the last step's generator update took: work every rank repeats in full (it
    /// bounds how far data parallelism scales).
    public private(set) var updateSeconds = 0.0
    /// Bytes each rank all-reduces per step.
    public var communicatedBytes: Int { (generatorReducer?.bytesPerStep ?? 0) + (discriminatorReducer?.bytesPerStep ?? 0) }

    public init(objective: Objective, options: MethodOptions, generator: Adam, discriminator: Adam?, microBatches: Int = 1,
                group: ProcessGroup = .single, tokens: @escaping ([Int]) throws -> Variable,
                target: (([Int]) throws -> Tensor)? = nil) {
        precondition(microBatches >= 1)
        self.objective = objective; self.options = options
        self.generator = generator; self.discriminator = discriminator
        self.microBatches = microBatches; self.tokens = tokens; self.target = target
        self.group = group
        generatorReducer = group.isDistributed
            ? GradientReducer(group: group, parameters: generator.groups.flatMap(\.parameters)) : nil
        discriminatorReducer = group.isDistributed
            ? discriminator.map { GradientReducer(group: group, parameters: $0.groups.flatMap(\.parameters)) } : nil
    }

    /// Micro-batch `part` of `parts` equal slices of `rows`.
    public static func slice<T>(_ rows: [T], _ part: Int, _ parts: Int) -> [T] {
        Array(rows[RowSlice.range(count: rows.count, part: part, parts: parts)])
    }

    /// Forward, backward and update on the labeled rows (with `labels`) and the unlabeled rows,
    /// then (csd) the discriminators' step, whose prior draws come from `priorRNG`.
    public func run(labeled: [Int], labels: [Int], unlabeled: [Int], prior: [Double],
                    priorRNG: inout RandomStream) throws -> Terms {
        communicationWait = 0
        var (terms, codes) = try gradients(labeled: labeled, labels: labels, unlabeled: unlabeled)
        let updateStarted = Date()
        generator.step()
        updateSeconds = Date().timeIntervalSince(updateStarted)
        switch objective {
        case .crossEntropy:
            return terms
        case .contentStyle(let model):
            if let discriminator {
                // The discriminators see the codes of the encoder just updated, on this step's
                // tokens (the backbone is not run again), or with disc_codes=step the codes of
                // the generator step's forward.
                let fresh: (Tensor, Tensor?)
                if codes.isEmpty {
                    // A rank whose slices of this step are empty still joins the reductions.
                    fresh = (Tensor(zeros: [0, model.classes]), model.style.map { Tensor(zeros: [0, $0.outFeatures]) })
                } else if options.discCodes == .step {
                    fresh = (Self.joined(codes.map(\.probabilities)),
                             codes.first?.style == nil ? nil : Self.joined(codes.compactMap(\.style)))
                } else {
                    fresh = model.codes(Self.joined(codes.map(\.tokens)))
                }
                let share = group.isDistributed
                    ? BatchShare(group: group, labeled: labeled.count, unlabeled: unlabeled.count, reducer: discriminatorReducer!)
                    : nil
                terms.discriminator = ContentStyleObjective.trainDiscriminators(
                    model: model, optimizer: discriminator, probabilities: fresh.0, style: fresh.1, prior: prior,
                    steps: options.discSteps, rng: &priorRNG, share: share) ?? 0
                communicationWait += share?.waitSeconds ?? 0
            }
            return terms
        }
    }

    /// The micro-batches' rows as one tensor; a single micro-batch (every probe step) is used as
    /// it is, without a copy.
    static func joined(_ parts: [Tensor]) -> Tensor {
        parts.count == 1 ? parts[0] : Kernels.concat(parts, axis: 0)
    }

    /// The micro-batches' loss terms summed over the ranks, and the gradients through `reducer`:
    /// its reductions started during the last backward pass, it waits for the rest.
    func reduced(_ terms: Terms, _ reducer: GradientReducer?) -> Terms {
        guard let reducer else { return terms }
        communicationWait += reducer.finish()
        let started = Date()
        let sums = group.allReduceSum([terms.loss, terms.ce, terms.reconstruction, terms.adversarialContent,
                                       terms.adversarialStyle].map(Double.init)).map(Float.init)
        communicationWait += Date().timeIntervalSince(started)
        var total = terms
        (total.loss, total.ce, total.reconstruction, total.adversarialContent, total.adversarialStyle)
            = (sums[0], sums[1], sums[2], sums[3], sums[4])
        return total
    }

    /// Back-propagates `loss`; the last micro-batch's pass tells `reducer` which gradients are final.
    func backward(_ loss: Variable, last: Bool, reducer: GradientReducer?) {
        loss.backward(readiness: last ? reducer : nil)
    }

    /// What one micro-batch's forward leaves for the discriminators' step, cut from the graph.
    public struct MicroBatchCodes {
        /// Standardised image tokens.
        public let tokens: Tensor
        /// The content code p and the style s of the generator step's forward.
        public let probabilities: Tensor
        public let style: Tensor?
    }

    /// The generator loss's gradients (previous gradients cleared), without the update: what
    /// `run` does before stepping the optimisers. The codes are empty for a cross-entropy step.
    public func gradients(labeled: [Int], labels: [Int], unlabeled: [Int]) throws -> (Terms, [MicroBatchCodes]) {
        switch objective {
        case .crossEntropy(let logits): return (try crossEntropyGradients(logits, labeled: labeled, labels: labels), [])
        case .contentStyle(let model): return try contentStyleGradients(model, labeled: labeled, labels: labels, unlabeled: unlabeled)
        }
    }

    /// The generator loss's gradients (previous gradients cleared) over the micro-batches.
    func contentStyleGradients(_ model: ContentStyleModel, labeled: [Int], labels: [Int],
                               unlabeled: [Int]) throws -> (Terms, [MicroBatchCodes]) {
        let total = labeled.count + unlabeled.count
        var terms = Terms()
        var codes: [MicroBatchCodes] = []
        generator.zeroGrad()
        generatorReducer?.begin()
        // The discriminators pass gradients through but compute none for their own weights.
        for p in model.discriminatorParameters { p.requiresGrad = false }
        defer { for p in model.discriminatorParameters { p.requiresGrad = true } }
        let (mine, myLabels, myUnlabeled) = (group.share(labeled), group.share(labels), group.share(unlabeled))
        for part in 0..<microBatches {
            let l = Self.slice(mine, part, microBatches), u = Self.slice(myUnlabeled, part, microBatches)
            guard !l.isEmpty || !u.isEmpty else { continue }
            let x = try tokens(l + u)
            let labelShare = labeled.isEmpty ? 0 : Float(l.count) / Float(labeled.count)
            let share = Float(l.count + u.count) / Float(total)
            var weighted = options
            weighted.wCE *= labelShare
            weighted.wRec *= share; weighted.wC *= share; weighted.wS *= share
            let t = ContentStyleObjective.generatorLoss(model: model, x: x, labels: Self.slice(myLabels, part, microBatches),
                                                        options: weighted, target: try target?(l + u))
            backward(t.total, last: part == microBatches - 1, reducer: generatorReducer)
            terms.loss += t.total.value.item
            terms.ce += t.ce * labelShare
            terms.reconstruction += t.reconstruction * share
            terms.adversarialContent += t.adversarialContent * share
            terms.adversarialStyle += t.adversarialStyle * share
            codes.append(MicroBatchCodes(tokens: x.value, probabilities: t.probabilities, style: t.style))
        }
        return (reduced(terms, generatorReducer), codes)
    }

    /// Cross-entropy on the labeled rows only (previous gradients cleared).
    func crossEntropyGradients(_ logits: (Variable) -> Variable, labeled: [Int], labels: [Int]) throws -> Terms {
        var terms = Terms()
        generator.zeroGrad()
        generatorReducer?.begin()
        let (mine, myLabels) = (group.share(labeled), group.share(labels))
        for part in 0..<microBatches {
            let l = Self.slice(mine, part, microBatches)
            guard !l.isEmpty else { continue }
            let labelShare = Float(l.count) / Float(labeled.count)
            let loss = softmaxCrossEntropy(logits(try tokens(l)), labels: Self.slice(myLabels, part, microBatches)) * labelShare
            backward(loss, last: part == microBatches - 1, reducer: generatorReducer)
            terms.loss += loss.value.item
            terms.ce += loss.value.item
        }
        return reduced(terms, generatorReducer)
    }
}
