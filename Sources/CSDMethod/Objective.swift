import CSDAutograd
import CSDDistributed
import CSDNN
import CSDTensor

/// The losses of docs/METHOD.md for one batch: the encoder/decoder loss L and the discriminators'.
public enum ContentStyleObjective {
    public struct GeneratorTerms {
        public let total: Variable
        public let ce: Float, reconstruction: Float, adversarialContent: Float, adversarialStyle: Float
        /// The codes of this batch, cut from the graph: the discriminators' input with
        /// `disc_codes=step` (`TrainingStep.run`); the default, `disc_codes=updated`, recomputes
        /// them with the encoder just updated instead.
        public let probabilities: Tensor
        public let style: Tensor?
    }

    /// L = w_ce CE(labeled) + w_rec R(y, y_hat) + w_c A(Dc, p) + w_s A(Ds, s) over labeled rows
    /// (first `labels.count` rows of `x`) and unlabeled rows together. `x` is the (standardised)
    /// token batch; the reconstruction target is `target`, or `x` itself with its gradient
    /// stopped (docs/METHOD.md's `live` target).
    public static func generatorLoss(model: ContentStyleModel, x: Variable, labels: [Int],
                                     options o: MethodOptions, target: Tensor? = nil) -> GeneratorTerms {
        let b = x.shape[0], labeled = labels.count, k = model.classes
        let (logits, s) = model.encode(x)
        var total: Variable? = nil
        func add(_ term: Variable, _ w: Float) { total = total.map { $0 + term * w } ?? term * w }
        var ce: Float = 0, rec: Float = 0, advC: Float = 0, advS: Float = 0
        if o.wCE > 0 && labeled > 0 {
            let term = softmaxCrossEntropy(logits.slice(axis: 0, 0..<labeled), labels: labels)
            ce = term.value.item
            add(term, o.wCE)
        }
        let p = logits.softmax()
        if let decoder = model.decoder, let s {
            var c = p
            if o.decoderContent == .labelWhenKnown && labeled > 0 {
                var onehot = Tensor(zeros: [labeled, k])
                for (i, y) in labels.enumerated() { onehot[flat: i * k + y] = 1 }
                c = labeled < b ? concat([Variable(onehot), p.slice(axis: 0, labeled..<b)], axis: 0) : Variable(onehot)
            }
            let yHat = decoder(concat([c, s], axis: 1))
            let target = target.map { Variable($0) } ?? x.detached()
            let term = o.reconstruction == .cosine ? cosineDistance(yHat, target) : meanSquaredError(yHat, target)
            rec = term.value.item
            add(term, o.wRec)
        }
        if let dc = model.contentDiscriminator {
            // Non-saturating generator loss: mean softplus(-D(q)).
            let term = (-dc(p)).softplus().mean()
            advC = term.value.item
            add(term, o.wC)
        }
        if let ds = model.styleDiscriminator, let s {
            let term = (-ds(s)).softplus().mean()
            advS = term.value.item
            add(term, o.wS)
        }
        let loss = total ?? (logits.sum() * 0)
        return GeneratorTerms(total: loss, ce: ce, reconstruction: rec, adversarialContent: advC,
                              adversarialStyle: advS, probabilities: p.value, style: s?.value)
    }

    /// BCE(Dc(prior one-hots), 1) + BCE(Dc(p), 0) + BCE(Ds(z), 1) + BCE(Ds(s), 0), with the codes
    /// `p`, `s` constants (detached; the trainer recomputes them with the updated encoder, as the
    /// PyTorch reference does) and prior samples drawn by the caller.
    public static func discriminatorLoss(model: ContentStyleModel, probabilities p: Tensor, style s: Tensor?,
                                         priorOneHots: Tensor, gaussian z: Tensor?) -> Variable? {
        var total: Variable? = nil
        func add(_ term: Variable) { total = total.map { $0 + term } ?? term }
        if let dc = model.contentDiscriminator {
            let real = dc(Variable(priorOneHots)), fake = dc(Variable(p))
            add(binaryCrossEntropyWithLogits(real, targets: Tensor(repeating: 1, shape: real.shape))
                + binaryCrossEntropyWithLogits(fake, targets: Tensor(zeros: fake.shape)))
        }
        if let ds = model.styleDiscriminator, let s, let z {
            let real = ds(Variable(z)), fake = ds(Variable(s))
            add(binaryCrossEntropyWithLogits(real, targets: Tensor(repeating: 1, shape: real.shape))
                + binaryCrossEntropyWithLogits(fake, targets: Tensor(zeros: fake.shape)))
        }
        return total
    }

    /// The discriminators' update of one step: `steps` Adam steps on `discriminatorLoss`, each
    /// with fresh prior one-hots and Gaussian draws (in that order) from `rng`. The last loss,
    /// or nil when there are no discriminators.
    ///
    /// Data-parallel, the codes are this rank's rows of the batch (`share`): every rank draws the
    /// whole batch's prior samples (the stream stays the same for any number of ranks) and keeps
    /// its rows of them, its mean loss is weighted by its share of the rows, and the gradients
    /// and the loss are summed over the ranks before each update.
    @discardableResult
    public static func trainDiscriminators(model: ContentStyleModel, optimizer: Adam, probabilities: Tensor, style: Tensor?,
                                           prior: [Double], steps: Int, rng: inout RandomStream,
                                           share: BatchShare? = nil) -> Float? {
        guard model.contentDiscriminator != nil || model.styleDiscriminator != nil else { return nil }
        var last: Float? = nil
        let rows = share.map { $0.offset..<($0.offset + $0.count) }, total = share?.total ?? probabilities.shape[0]
        func mine(_ draw: Tensor) -> Tensor { rows.map { Kernels.slice(draw, axis: 0, range: $0) } ?? draw }
        for _ in 0..<steps {
            let oneHots = mine(sampleOneHots(total, prior: prior, rng: &rng))
            let z = style.map { mine(Tensor.randomNormal([total, $0.shape[1]], using: &rng)) }
            optimizer.zeroGrad()
            share?.begin()
            var value: Float = 0
            if probabilities.shape[0] > 0, var loss = discriminatorLoss(model: model, probabilities: probabilities, style: style,
                                                                       priorOneHots: oneHots, gaussian: z) {
                if let share { loss = loss * share.weight }
                loss.backward()
                value = loss.value.item
            }
            last = share.map { $0.reduce(loss: value) } ?? value
            optimizer.step()
        }
        return last
    }

    public static func classPrior(_ kind: MethodOptions.ClassPrior, labels: [Int], classes: Int) -> [Double] {
        guard kind == .labeled, !labels.isEmpty else { return [Double](repeating: 1 / Double(classes), count: classes) }
        var counts = [Double](repeating: 0, count: classes)
        for y in labels { counts[y] += 1 }
        return counts.map { $0 / Double(labels.count) }
    }

    /// `rows` one-hot vectors drawn from `prior`.
    public static func sampleOneHots(_ rows: Int, prior: [Double], rng: inout RandomStream) -> Tensor {
        let k = prior.count
        var out = Tensor(zeros: [rows, k])
        out.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows {
                let u = Double(rng.uniform())
                var acc = 0.0, c = k - 1
                for j in 0..<k { acc += prior[j]; if u < acc { c = j; break } }
                p[r * k + c] = 1
            }
        }
        return out
    }
}
