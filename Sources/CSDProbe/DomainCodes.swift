import CSDAutograd
import CSDFeatureStore
import CSDMethod
import CSDResults
import CSDTensor

/// One evaluated test split: the home cache's, or an evaluation cache's.
struct TestDomain {
    let name: String
    let features: Tensor
    let labels: [Int]
    let attributes: [String: [Float]]

    /// The home test split first, then the evaluation caches in the order given.
    static func all(_ data: ProbeData, _ evaluations: [EvaluationCache]) -> [TestDomain] {
        [TestDomain(name: RunResult.homeDomain, features: data.testFeatures, labels: data.testLabels,
                    attributes: ReadoutProbe.targets(data.testAttributes))]
            + evaluations.map {
                TestDomain(name: $0.name, features: $0.features, labels: $0.labels, attributes: ReadoutProbe.targets($0.attributes))
            }
    }

    /// The disentanglement reference of the standardised tokens themselves (code `tokens`).
    func tokenScores(_ data: ProbeData, standardize: Bool) -> [DisentanglementScore] {
        DomainCodes.scores(ReadoutProbe.scores(code: data.standardized(features, standardize), labels: labels,
                                               classes: data.classes, attributes: attributes),
                           domain: name, code: "tokens", rows: labels.count)
    }
}

/// The codes a trained run gives the rows of one test split, for the disentanglement report and
/// `--save-codes`.
public struct DomainCodes: @unchecked Sendable {
    public let domain: String
    public let labels: [Int]
    public let attributes: [String: [Float]]
    /// Class probabilities, softmax of the logits [N, K].
    public let probabilities: Tensor
    /// The code scored as `content`: csd's class probabilities, the baselines' logits.
    public let content: Tensor
    /// csd's style code [N, S], when its heads have one.
    public let style: Tensor?

    init(domain: TestDomain, method: TrainingMethod, logits: (Variable) -> Variable, style: ((Variable) -> Variable)?,
         standardize: (Tensor) -> Tensor) {
        var logitRows: [Tensor] = [], styleRows: [Tensor] = []
        GradMode.withoutGradients {
            let n = domain.labels.count
            for start in stride(from: 0, to: n, by: 4096) {
                let x = Variable(standardize(Kernels.slice(domain.features, axis: 0, range: start..<min(n, start + 4096))))
                logitRows.append(logits(x).value)
                if let style { styleRows.append(style(x).value) }
            }
        }
        let allLogits = Self.concatenate(logitRows)
        self.domain = domain.name
        labels = domain.labels
        attributes = domain.attributes
        probabilities = SoftmaxKernel.forward(allLogits)
        content = method == .csd ? probabilities : allLogits
        self.style = style == nil ? nil : Self.concatenate(styleRows)
    }

    /// What `--save-codes` writes of this split.
    var file: CodesFile.Domain {
        CodesFile.Domain(name: domain, labels: labels, attributes: attributes, probabilities: probabilities, style: style)
    }

    /// The report's scores of the content and (csd) style codes.
    public func scores(classes: Int) -> [DisentanglementScore] {
        var codes = [("content", content)]
        if let style { codes.append(("style", style)) }
        return codes.flatMap { name, code in
            Self.scores(ReadoutProbe.scores(code: code, labels: labels, classes: classes, attributes: attributes),
                        domain: domain, code: name, rows: labels.count)
        }
    }

    static func scores(_ scores: [ReadoutProbe.Score], domain: String, code: String, rows: Int) -> [DisentanglementScore] {
        scores.map { DisentanglementScore(domain: domain, code: code, target: $0.target, metric: $0.metric.rawValue,
                                          value: $0.value, rows: rows) }
    }

    static func concatenate(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor(zeros: [0, 0]) }
        let width = first.shape[1]
        return Tensor(parts.flatMap(\.scalars), shape: [parts.reduce(0) { $0 + $1.shape[0] }, width])
    }
}
