import CSDAutograd
import CSDMethod
import CSDResults
import CSDNN
import CSDTensor
import Foundation

/// One cell of a sweep.
public struct RunSpec: Sendable {
    public var method: TrainingMethod
    /// Labeled samples, nil for all of the train split (less the validation rows).
    public var labels: Int?
    public var seed: Int
    public var options: MethodOptions
    public var epochs: Int
    /// Labeled train rows per class held out for validation (0: none).
    public var validationPerClass: Int

    public init(method: TrainingMethod, labels: Int?, seed: Int, options: MethodOptions, epochs: Int,
                validationPerClass: Int = 0) {
        self.method = method; self.labels = labels; self.seed = seed; self.options = options; self.epochs = epochs
        self.validationPerClass = validationPerClass
    }

    /// The cell's key in results.jsonl.
    public var runID: String {
        ([method.rawValue, "n=\(labels.map(String.init) ?? "all")", "seed=\(seed)", "epochs=\(epochs)"]
            + (validationPerClass > 0 ? ["val=\(validationPerClass)"] : [])
            + (method == .knn ? options.nonDefault.filter { $0.hasPrefix("knn_k=") || $0.hasPrefix("standardize=") }
                              : options.nonDefault)).joined(separator: "|")
    }
}

/// Trains one run on cached tokens and evaluates the test (and validation) error after every
/// epoch. The csd and supervised steps are `TrainingStep`, the one finetune runs.
public enum ProbeTrainer {
    public struct Outcome: Sendable {
        /// Test (and validation) errors after each evaluation.
        public let errors: ErrorHistory
        public let labeledIndices: [Int]
        /// The kNN baseline's k, when the run chose it.
        public let chosenK: Int?
        /// Test errors on each evaluation cache, in the order given (the home validation history
        /// attached, so the validation-chosen error is taken at the same evaluation).
        public var domainErrors: [ErrorHistory] = []
        /// The trained heads' codes of every evaluated test split, the home split first; empty
        /// for kNN.
        public var codes: [DomainCodes] = []
    }

    /// `threads` is consulted before every step: a sweep hands the cores of finished lanes to the
    /// runs still going.
    public static func run(_ spec: RunSpec, data: ProbeData, evaluations: [EvaluationCache] = [],
                           threads: () -> Int = { Threads.count }) -> Outcome {
        let o = spec.options, k = data.classes
        let (validation, rest) = LabelSubsets.holdOut(labels: data.trainLabels, classes: k, perClass: spec.validationPerClass,
                                                      seed: spec.seed)
        let labeled = LabelSubsets.subset(of: rest, labels: data.trainLabels, classes: k, size: spec.labels, seed: spec.seed)
        // The tokens stay as loaded, shared by every run of a sweep; batches and test chunks are
        // standardised as they are gathered, so a run holds no copy of the split.
        func batch(_ rows: [Int]) -> Tensor { data.standardized(Kernels.gatherRows(data.trainFeatures, rows), o.standardize) }
        if spec.method == .knn {
            var outcome = KNearestNeighbours.run(data: data, bank: labeled, validation: validation, options: o) { batch($0) }
            outcome.domainErrors = evaluations.map { e in
                ErrorHistory(test: [KNearestNeighbours.errorRate(data: data, bank: labeled, k: outcome.chosenK!, options: o,
                                                                 features: e.features, labels: e.labels) { batch($0) }],
                             validation: outcome.errors.validation)
            }
            return outcome
        }
        var initRNG = RandomStream(seed: spec.seed, .initialisation)
        var orderRNG = RandomStream(seed: spec.seed, .order)
        var priorRNG = RandomStream(seed: spec.seed, .prior)
        let stepsPerEpoch = (rest.count + o.unlabeledBatch - 1) / o.unlabeledBatch
        let labeledBatch = min(labeled.count, o.labeledBatch)

        let (step, logits, style) = makeStep(spec, dimension: data.dimension, classes: k, rng: &initRNG) {
            Variable(batch($0))
        }
        let prior = ContentStyleObjective.classPrior(o.classPrior, labels: labeled.map { data.trainLabels[$0] }, classes: k)
        let validationTokens = validation.isEmpty ? nil : Kernels.gatherRows(data.trainFeatures, validation)
        let validationLabels = validation.map { data.trainLabels[$0] }

        var errors = ErrorHistory(test: [], validation: validation.isEmpty ? nil : [])
        var domainTests = evaluations.map { _ in [Double]() }
        for _ in 0..<spec.epochs {
            let poolOrder = orderRNG.permutation(rest.count)
            var cycle = LabeledCycle(order: orderRNG.permutation(labeled.count))
            for step_ in 0..<stepsPerEpoch { Threads.withLimit(threads()) {
                let lb = cycle.next(labeledBatch, of: labeled, rng: &orderRNG)
                let ub = spec.method == .csd
                    ? poolOrder[(step_ * o.unlabeledBatch)..<min(rest.count, (step_ + 1) * o.unlabeledBatch)].map { rest[$0] } : []
                // Tokens from a cache cannot fail to load.
                _ = try! step.run(labeled: lb, labels: lb.map { data.trainLabels[$0] }, unlabeled: ub, prior: prior,
                                  priorRNG: &priorRNG)
            } }
            Threads.withLimit(threads()) {
                errors.test.append(errorRate(logits, data.testFeatures, data.testLabels, data: data, standardize: o.standardize))
                for (i, e) in evaluations.enumerated() {
                    domainTests[i].append(errorRate(logits, e.features, e.labels, data: data, standardize: o.standardize))
                }
                if let validationTokens {
                    errors.validation?.append(errorRate(logits, validationTokens, validationLabels, data: data,
                                                        standardize: o.standardize))
                }
            }
        }
        var outcome = Outcome(errors: errors, labeledIndices: labeled, chosenK: nil)
        outcome.domainErrors = domainTests.map { ErrorHistory(test: $0, validation: errors.validation) }
        outcome.codes = Threads.withLimit(threads()) {
            TestDomain.all(data, evaluations).map { domain in
                DomainCodes(domain: domain, method: spec.method, logits: logits, style: style) {
                    data.standardized($0, o.standardize)
                }
            }
        }
        return outcome
    }

    /// The training step of a csd, supervised or linear run, the logits it trains and csd's
    /// style code (when the heads have one), with heads initialised from `rng`.
    static func makeStep(_ spec: RunSpec, dimension d: Int, classes k: Int, rng: inout RandomStream,
                         tokens: @escaping ([Int]) -> Variable)
        -> (TrainingStep, (Variable) -> Variable, ((Variable) -> Variable)?) {
        let o = spec.options
        switch spec.method {
        case .linear:
            let layer = Linear(d, k, rng: &rng)
            layer.matmulPrecision = o.headPrecision
            let generator = Adam(groups: [ParameterGroup(name: "linear", parameters: layer.parameters, learningRate: o.lr)])
            let logits: (Variable) -> Variable = { layer($0) }
            return (TrainingStep(objective: .crossEntropy(logits: logits), options: o, generator: generator,
                                 discriminator: nil, tokens: tokens), logits, nil)
        default:
            let heads = ContentStyleModel(dimension: d, classes: k, options: o, supervisedOnly: spec.method == .supervised,
                                          rng: &rng)
            let logits: (Variable) -> Variable = { heads.encode($0).logits }
            let objective: TrainingStep.Objective = spec.method == .csd ? .contentStyle(heads) : .crossEntropy(logits: logits)
            let style: ((Variable) -> Variable)? = spec.method == .csd && heads.style != nil ? { heads.encode($0).style! } : nil
            return (TrainingStep(objective: objective, options: o, generator: Adam(groups: [heads.headsGroup(o)]),
                                 discriminator: heads.discriminatorOptimizer(o), tokens: tokens), logits, style)
        }
    }

    /// 1 - accuracy of argmax logits over cached rows, evaluated without a graph in chunks.
    static func errorRate(_ logits: (Variable) -> Variable, _ features: Tensor, _ labels: [Int], data: ProbeData,
                          standardize: Bool) -> Double {
        Evaluation.errorRate(count: features.shape[0], labels: labels, chunk: 4096) { rows in
            logits(Variable(data.standardized(Kernels.slice(features, axis: 0, range: rows), standardize))).value
        }
    }
}
