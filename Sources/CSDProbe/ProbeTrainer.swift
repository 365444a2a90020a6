import CSDAutograd
import CSDNN
import CSDTensor
import Foundation

/// The methods a probe sweep compares.
public enum ProbeMethod: String, Sendable, CaseIterable {
    /// The content-style objective of METHOD.md.
    case csd
    /// The same encoder's content head trained with CE on the labeled subset only.
    case supervised
    /// Multinomial logistic regression on the (standardised) tokens.
    case linear
    /// Cosine k-nearest neighbours over the labeled subset.
    case knn
}

/// One cell of a sweep.
public struct RunSpec: Sendable {
    public var method: ProbeMethod
    /// Labeled samples, nil for all of the train split.
    public var labels: Int?
    public var seed: Int
    public var options: MethodOptions
    public var epochs: Int

    public init(method: ProbeMethod, labels: Int?, seed: Int, options: MethodOptions, epochs: Int) {
        self.method = method; self.labels = labels; self.seed = seed; self.options = options; self.epochs = epochs
    }

    /// The cell's key in results.jsonl.
    public var runID: String {
        ([method.rawValue, "n=\(labels.map(String.init) ?? "all")", "seed=\(seed)", "epochs=\(epochs)"]
            + (method == .knn ? options.nonDefault.filter { $0.hasPrefix("knn_k=") || $0.hasPrefix("standardize=") }
                              : options.nonDefault)).joined(separator: "|")
    }
}

/// Trains one run on cached tokens and evaluates the test error after every epoch.
public enum ProbeTrainer {
    public struct Outcome: Sendable {
        public let testErrors: [Double]
        public let labeledIndices: [Int]
    }

    /// `threads` is consulted before every step: a sweep hands the cores of finished lanes to the
    /// runs still going.
    public static func run(_ spec: RunSpec, data: ProbeData, threads: () -> Int = { Threads.count }) -> Outcome {
        let o = spec.options
        let labeled = LabelSubsets.subset(labels: data.trainLabels, classes: data.classes, size: spec.labels, seed: spec.seed)
        // The tokens stay as loaded, shared by every run of a sweep; batches and test chunks are
        // standardised as they are gathered, so a run holds no copy of the split.
        let on = o.standardize
        func batch(_ rows: [Int]) -> Tensor { data.standardized(Kernels.gatherRows(data.trainFeatures, rows), on) }
        if spec.method == .knn {
            return Outcome(testErrors: [knnError(bank: batch(labeled), labels: data.trainLabels, labeled: labeled,
                                                 test: data.standardized(data.testFeatures, on),
                                                 testLabels: data.testLabels, k: o.knnK)],
                           labeledIndices: labeled)
        }
        var initRNG = RandomStream(seed: UInt64(spec.seed), stream: 1)
        var orderRNG = RandomStream(seed: UInt64(spec.seed), stream: 2)
        var priorRNG = RandomStream(seed: UInt64(spec.seed), stream: 3)
        let d = data.dimension, k = data.classes
        let pool = data.trainLabels.count
        let stepsPerEpoch = (pool + o.unlabeledBatch - 1) / o.unlabeledBatch
        let labeledBatch = min(labeled.count, o.labeledBatch)

        let model: ContentStyleModel?
        let evaluate: (Variable) -> Variable
        let generatorOptimizer: Adam
        var discriminatorOptimizer: Adam? = nil
        switch spec.method {
        case .linear:
            let layer = Linear(d, k, rng: &initRNG)
            model = nil
            evaluate = { layer($0) }
            generatorOptimizer = Adam(groups: [ParameterGroup(name: "linear", parameters: layer.parameters, learningRate: o.lr)])
        default:
            let m = ContentStyleModel(dimension: d, classes: k, options: o, supervisedOnly: spec.method == .supervised,
                                      rng: &initRNG)
            model = m
            evaluate = { m.encode($0).logits }
            generatorOptimizer = Adam(groups: [ParameterGroup(name: "encoder-decoder", parameters: m.encoderParameters,
                                                              learningRate: o.lr)])
            if spec.method == .csd && !m.discriminatorParameters.isEmpty {
                discriminatorOptimizer = Adam(groups: [ParameterGroup(name: "discriminators", parameters: m.discriminatorParameters,
                                                                      learningRate: o.discLR, beta1: 0.5, beta2: 0.999)])
            }
        }
        let prior = ContentStyleObjective.classPrior(o.classPrior, labels: labeled.map { data.trainLabels[$0] }, classes: k)

        var errors: [Double] = []
        for _ in 0..<spec.epochs {
            let poolOrder = orderRNG.permutation(pool)
            var labeledOrder = orderRNG.permutation(labeled.count)
            var cursor = 0
            for step in 0..<stepsPerEpoch { Threads.withLimit(threads()) {
                // Labeled batch: the epoch's permutation of the subset, cycled.
                var lb: [Int] = []
                for _ in 0..<labeledBatch {
                    if cursor == labeledOrder.count { cursor = 0; labeledOrder = orderRNG.permutation(labeled.count) }
                    lb.append(labeled[labeledOrder[cursor]])
                    cursor += 1
                }
                let yl = lb.map { data.trainLabels[$0] }
                if spec.method == .csd, let model {
                    let ub = Array(poolOrder[(step * o.unlabeledBatch)..<min(pool, (step + 1) * o.unlabeledBatch)])
                    let x = Variable(batch(lb + ub))
                    // The generator step trains E and G only: the discriminators pass gradients
                    // through but compute none for their own weights.
                    for p in model.discriminatorParameters { p.requiresGrad = false }
                    let terms = ContentStyleObjective.generatorLoss(model: model, x: x, labels: yl, options: o)
                    model.zeroGrad()
                    terms.total.backward()
                    generatorOptimizer.step()
                    for p in model.discriminatorParameters { p.requiresGrad = true }
                    if let discriminatorOptimizer {
                        // The discriminators see the codes of the updated encoder (as the reference
                        // does), or with disc_codes=step those of the generator step's forward.
                        let fresh = o.discCodes == .step ? (terms.probabilities, terms.style) : model.codes(x.value)
                        ContentStyleObjective.trainDiscriminators(
                            model: model, optimizer: discriminatorOptimizer, probabilities: fresh.0, style: fresh.1,
                            prior: prior, steps: o.discSteps, rng: &priorRNG)
                    }
                } else {
                    let logits = evaluate(Variable(batch(lb)))
                    let loss = softmaxCrossEntropy(logits, labels: yl)
                    generatorOptimizer.zeroGrad()
                    loss.backward()
                    generatorOptimizer.step()
                }
            } }
            errors.append(Threads.withLimit(threads()) { testError(evaluate, test: data.testFeatures, labels: data.testLabels) {
                data.standardized($0, on)
            } })
        }
        return Outcome(testErrors: errors, labeledIndices: labeled)
    }

    /// Rows of [n, K] logits whose argmax (the first, on ties) is not the label.
    public static func misclassified(logits: Tensor, labels: ArraySlice<Int>) -> Int {
        let k = logits.shape[1]
        precondition(logits.shape[0] == labels.count, "\(logits.shape[0]) rows of logits for \(labels.count) labels")
        var wrong = 0
        logits.withUnsafeBufferPointer { p in
            for (i, label) in labels.enumerated() {
                var best = 0
                for c in 1..<k where p[i * k + c] > p[i * k + best] { best = c }
                if best != label { wrong += 1 }
            }
        }
        return wrong
    }

    /// 1 - accuracy of argmax logits, evaluated without a graph in chunks.
    static func testError(_ evaluate: (Variable) -> Variable, test: Tensor, labels: [Int],
                          prepare: (Tensor) -> Tensor) -> Double {
        let n = test.shape[0]
        var wrong = 0
        GradMode.withoutGradients {
            for start in stride(from: 0, to: n, by: 4096) {
                let end = min(n, start + 4096)
                let logits = evaluate(Variable(prepare(Kernels.slice(test, axis: 0, range: start..<end)))).value
                wrong += misclassified(logits: logits, labels: labels[start..<end])
            }
        }
        return Double(wrong) / Double(max(n, 1))
    }

    /// Cosine k-NN: majority vote of the k most similar labeled tokens; ties go to the class
    /// with the larger summed similarity, then the smaller label.
    /// `bank`: the labeled rows (in `labeled` order), already standardised like `test`.
    static func knnError(bank rows: Tensor, labels: [Int], labeled: [Int], test: Tensor, testLabels: [Int], k kMax: Int) -> Double {
        let bank = normalizedRows(rows)
        let queries = normalizedRows(test)
        let k = min(kMax, labeled.count)
        let classes = (labels.max() ?? 0) + 1
        let n = test.shape[0]
        var wrong = 0
        for start in stride(from: 0, to: n, by: 2048) {
            let q = Kernels.slice(queries, axis: 0, range: start..<min(n, start + 2048))
            let sims = q.matmul(bank, transposeOther: true)
            let m = labeled.count
            sims.withUnsafeBufferPointer { p in
                for i in 0..<q.shape[0] {
                    let row = Array(p[(i * m)..<((i + 1) * m)])
                    let top = row.indices.sorted { (row[$0], -$0) > (row[$1], -$1) }.prefix(k)
                    var votes = [Int](repeating: 0, count: classes), score = [Float](repeating: 0, count: classes)
                    for j in top { votes[labels[labeled[j]]] += 1; score[labels[labeled[j]]] += row[j] }
                    let best = (0..<classes).max { (votes[$0], score[$0], -$0) < (votes[$1], score[$1], -$1) }!
                    if best != testLabels[start + i] { wrong += 1 }
                }
            }
        }
        return Double(wrong) / Double(max(n, 1))
    }

    static func normalizedRows(_ x: Tensor) -> Tensor {
        let (n, d) = (x.shape[0], x.shape[1])
        var out = x.copy()
        out.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                var s: Float = 0
                for j in 0..<d { s += p[i * d + j] * p[i * d + j] }
                let inv = 1 / max(s.squareRoot(), 1e-8)
                for j in 0..<d { p[i * d + j] *= inv }
            }
        }
        return out
    }
}
