import CSDFeatureStore
import CSDMethod
import CSDResults
import CSDTensor

/// The codes of one test split at the final evaluation of a finetune run, for the
/// disentanglement report (docs/METHOD.md): the logits, csd's style code and the standardised
/// tokens of the fine-tuned backbone, with the rows' labels and attributes.
struct EvaluatedCodes {
    let domain: String
    let labels: [Int]
    let attributes: [String: [Float]]
    let logits: Tensor
    let style: Tensor?
    let tokens: Tensor

    /// What `--save-codes` writes of this split.
    var file: CodesFile.Domain {
        CodesFile.Domain(name: domain, labels: labels, attributes: attributes, probabilities: SoftmaxKernel.forward(logits),
                         style: style)
    }

    /// `tokens`, `content` (csd: the class probabilities; supervised: the logits) and `style`.
    func scores(method: TrainingMethod, classes: Int) -> [DisentanglementScore] {
        var codes = [("tokens", tokens), ("content", method == .csd ? SoftmaxKernel.forward(logits) : logits)]
        if let style { codes.append(("style", style)) }
        let targets = ReadoutProbe.targets(attributes)
        return codes.flatMap { code, values in
            ReadoutProbe.scores(code: values, labels: labels, classes: classes, attributes: targets).map {
                DisentanglementScore(domain: domain, code: code, target: $0.target, metric: $0.metric.rawValue,
                                     value: $0.value, rows: labels.count)
            }
        }
    }
}
