import CSDAutograd
import CSDTensor

/// The metric of docs/METHOD.md: the error rate of argmax p (1 - accuracy).
public enum Evaluation {
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

    /// The misclassified rows among `count` rows whose logits `logits(range)` gives chunk by
    /// chunk, without a graph.
    public static func misclassified(count: Int, labels: [Int], chunk: Int,
                                     logits: (Range<Int>) throws -> Tensor) rethrows -> Int {
        var wrong = 0
        try GradMode.withoutGradients {
            for start in stride(from: 0, to: count, by: chunk) {
                let rows = start..<min(count, start + chunk)
                wrong += misclassified(logits: try logits(rows), labels: labels[rows])
            }
        }
        return wrong
    }

    /// The error rate over `count` rows (`misclassified` over the count).
    public static func errorRate(count: Int, labels: [Int], chunk: Int,
                                 logits: (Range<Int>) throws -> Tensor) rethrows -> Double {
        Double(try misclassified(count: count, labels: labels, chunk: chunk, logits: logits)) / Double(max(count, 1))
    }
}
