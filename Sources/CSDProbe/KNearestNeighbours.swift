import CSDMethod
import CSDResults
import CSDTensor

/// The cosine k-nearest-neighbour baseline over the labeled subset (standardised tokens, as the
/// trained methods see them). Its k is `knn_k` when set; with `knn_k=auto` (the default) it is
/// chosen on the validation subset from `candidates`, or without one capped by the smallest
/// labeled class count, so that a class's vote is never outnumbered by construction (k = 20
/// neighbours for 10 labels per class would hand every vote to other classes).
enum KNearestNeighbours {
    static let candidates = [1, 3, 5, 10, 20, 50]
    static let defaultK = 20

    static func run(data: ProbeData, bank labeled: [Int], validation: [Int], options o: MethodOptions,
                    batch: ([Int]) -> Tensor) -> ProbeTrainer.Outcome {
        let bank = normalizedRows(batch(labeled))
        let bankLabels = labeled.map { data.trainLabels[$0] }
        let test = normalizedRows(data.standardized(data.testFeatures, o.standardize))
        let k: Int
        var validationError: Double? = nil
        if let fixed = o.knnK {
            k = min(fixed, labeled.count)
        } else if !validation.isEmpty {
            let queries = normalizedRows(batch(validation))
            let labels = validation.map { data.trainLabels[$0] }
            let choices = candidates.filter { $0 <= labeled.count }
            let errors = errorRates(bank: bank, bankLabels: bankLabels, queries: queries, labels: labels,
                                    ks: choices, classes: data.classes)
            let best = errors.indices.min { (errors[$0], choices[$0]) < (errors[$1], choices[$1]) }!
            k = choices[best]
            validationError = errors[best]
        } else {
            var counts = [Int](repeating: 0, count: data.classes)
            for y in bankLabels { counts[y] += 1 }
            k = max(1, min(defaultK, counts.filter { $0 > 0 }.min() ?? 1))
        }
        if validationError == nil && !validation.isEmpty {
            validationError = errorRates(bank: bank, bankLabels: bankLabels, queries: normalizedRows(batch(validation)),
                                         labels: validation.map { data.trainLabels[$0] }, ks: [k], classes: data.classes)[0]
        }
        let testError = errorRates(bank: bank, bankLabels: bankLabels, queries: test, labels: data.testLabels,
                                   ks: [k], classes: data.classes)[0]
        return ProbeTrainer.Outcome(errors: ErrorHistory(test: [testError], validation: validationError.map { [$0] }),
                                    labeledIndices: labeled, chosenK: k)
    }

    /// The error rate with a fixed k on other rows (an evaluation cache's test split).
    static func errorRate(data: ProbeData, bank labeled: [Int], k: Int, options o: MethodOptions, features: Tensor,
                          labels: [Int], batch: ([Int]) -> Tensor) -> Double {
        errorRates(bank: normalizedRows(batch(labeled)), bankLabels: labeled.map { data.trainLabels[$0] },
                   queries: normalizedRows(data.standardized(features, o.standardize)), labels: labels, ks: [k],
                   classes: data.classes)[0]
    }

    /// The error rate of the majority vote of the k most similar bank rows, for each k of `ks`;
    /// ties go to the class with the larger summed similarity, then the smaller label. Rows are
    /// L2-normalised, so the product is the cosine similarity.
    static func errorRates(bank: Tensor, bankLabels: [Int], queries: Tensor, labels: [Int], ks: [Int], classes: Int) -> [Double] {
        let m = bank.shape[0], n = queries.shape[0]
        let kMax = min(ks.max() ?? 1, m)
        var wrong = [Int](repeating: 0, count: ks.count)
        for start in stride(from: 0, to: n, by: 2048) {
            let q = Kernels.slice(queries, axis: 0, range: start..<min(n, start + 2048))
            let sims = q.matmul(bank, transposeOther: true)
            sims.withUnsafeBufferPointer { p in
                for i in 0..<q.shape[0] {
                    let top = nearest(p, row: i * m, count: m, k: kMax)
                    for (c, k) in ks.enumerated() {
                        var votes = [Int](repeating: 0, count: classes), score = [Float](repeating: 0, count: classes)
                        for j in top.prefix(k) { votes[bankLabels[j]] += 1; score[bankLabels[j]] += p[i * m + j] }
                        let best = (0..<classes).max { (votes[$0], score[$0], -$0) < (votes[$1], score[$1], -$1) }!
                        if best != labels[start + i] { wrong[c] += 1 }
                    }
                }
            }
        }
        return wrong.map { Double($0) / Double(max(n, 1)) }
    }

    /// Indices of the `k` largest entries of p[row ..< row + count] (ties: the smaller index
    /// first), most similar first: an insertion list, linear in `count` for small k.
    static func nearest(_ p: UnsafeBufferPointer<Float>, row: Int, count: Int, k: Int) -> [Int] {
        var top: [Int] = []
        top.reserveCapacity(k + 1)
        func before(_ a: Int, _ b: Int) -> Bool { p[row + a] > p[row + b] || (p[row + a] == p[row + b] && a < b) }
        for j in 0..<count {
            if top.count == k, let last = top.last, !before(j, last) { continue }
            var position = top.count
            while position > 0 && before(j, top[position - 1]) { position -= 1 }
            top.insert(j, at: position)
            if top.count > k { top.removeLast() }
        }
        return top
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
