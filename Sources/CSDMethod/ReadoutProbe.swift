import CSDAutograd
import CSDNN
import CSDTensor
import Foundation

/// What a code holds, measured by small read-out probes (docs/METHOD.md, "Disentanglement"):
/// each probe is fitted on one half of the rows and scored on the other half.
///
/// - the class: multinomial logistic regression, scored by accuracy;
/// - an attribute with more than two values: ridge regression, scored by R^2 on the scoring
///   half (1 - residual / total sum of squares around the scoring half's mean; 0 is no better
///   than the mean, and it can be negative);
/// - an attribute with exactly two values (an indicator such as `stripes`): logistic regression,
///   scored by accuracy. A constant attribute is skipped.
///
/// The code's columns are standardised with the fitting half's mean and standard deviation (a
/// constant column becomes 0). The ridge penalty is chosen on the fitting half alone (every fifth
/// of its rows held out) from `ridgePenalties` times the row count.
public enum ReadoutProbe {
    public enum Metric: String, Sendable, Codable { case accuracy, r2 }

    public struct Score: Sendable, Equatable {
        /// `class`, or an attribute's name.
        public let target: String
        public let metric: Metric
        public let value: Double

        public init(target: String, metric: Metric, value: Double) {
            self.target = target; self.metric = metric; self.value = value
        }
    }

    /// Penalties per row tried for ridge regression.
    public static let ridgePenalties: [Double] = [1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10]
    static let logisticIterations = 300
    static let logisticRate: Float = 0.05
    static let logisticPenalty: Float = 1e-3

    /// The two halves of `count` rows, each sorted: a permutation of a fixed stream, the first
    /// half fits and the second scores. The same for every code of the same rows, so the codes
    /// are compared on the same split.
    public static func halves(count: Int, seed: UInt64 = 0) -> (fit: [Int], score: [Int]) {
        var rng = RandomStream(seed: seed, stream: 0x5EAD0)
        let order = rng.permutation(count)
        return (Array(order[..<(count / 2)]).sorted(), Array(order[(count / 2)...]).sorted())
    }

    /// The targets of the report: every stored attribute, and for a stripe angle (a name ending
    /// in `angle`, in degrees, period 180: -90 and 90 are the same stripes) also `<name>_cos2`
    /// and `<name>_sin2`, cos and sin of twice the angle, which a linear probe can read without
    /// the wrap-around.
    public static func targets(_ attributes: [String: [Float]]) -> [String: [Float]] {
        var out = attributes
        for (name, values) in attributes where name.hasSuffix("angle") {
            out[name + "_cos2"] = values.map { Float(cos(2 * Double($0) * .pi / 180)) }
            out[name + "_sin2"] = values.map { Float(sin(2 * Double($0) * .pi / 180)) }
        }
        return out
    }

    /// The class accuracy and each attribute's score (in name order) of `code` [N, C].
    public static func scores(code: Tensor, labels: [Int], classes: Int, attributes: [String: [Float]],
                              seed: UInt64 = 0) -> [Score] {
        let n = code.shape[0]
        precondition(labels.count == n, "\(labels.count) labels for \(n) rows")
        guard n >= 10 else { return [] }
        let (fit, score) = halves(count: n, seed: seed)
        let needsRegression = attributes.values.contains { Set($0).count > 2 }
        let design = Design(code: code, fit: fit, score: score, grams: needsRegression)
        var out = [Score(target: "class", metric: .accuracy,
                         value: design.logisticAccuracy(labels: labels, classes: classes))]
        for name in attributes.keys.sorted() {
            let values = attributes[name]!
            precondition(values.count == n, "attribute \(name): \(values.count) values for \(n) rows")
            let distinct = Set(values).sorted()
            if distinct.count < 2 { continue }
            if distinct.count == 2 {
                let binary = values.map { $0 == distinct[1] ? 1 : 0 }
                out.append(Score(target: name, metric: .accuracy, value: design.logisticAccuracy(labels: binary, classes: 2)))
            } else {
                out.append(Score(target: name, metric: .r2, value: design.ridgeR2(values.map(Double.init))))
            }
        }
        return out
    }

    /// The fitting and scoring rows of a code, standardised with the fitting rows' statistics.
    struct Design {
        let fit: Tensor, score: Tensor
        let fitRows: [Int], scoreRows: [Int]
        /// X^T X of the fitting rows and of their held-out fifth (positions i % 5 == 4), in
        /// double precision: a content code's probabilities sum to one, a nearly singular
        /// product that float rounding would leave indefinite. Empty unless asked for.
        let gramFit: [Double], gramHeld: [Double]

        init(code: Tensor, fit fitRows: [Int], score scoreRows: [Int], grams: Bool = true) {
            let d = code.shape[1]
            var mean = [Double](repeating: 0, count: d), scale = [Double](repeating: 0, count: d)
            code.withUnsafeBufferPointer { p in
                for r in fitRows { for j in 0..<d { mean[j] += Double(p[r * d + j]) } }
                for j in 0..<d { mean[j] /= Double(max(1, fitRows.count)) }
                for r in fitRows { for j in 0..<d { let x = Double(p[r * d + j]) - mean[j]; scale[j] += x * x } }
            }
            for j in 0..<d {
                let std = (scale[j] / Double(max(1, fitRows.count))).squareRoot()
                scale[j] = std > 1e-9 * max(1, abs(mean[j])) ? 1 / std : 0
            }
            func rows(_ indices: [Int]) -> Tensor {
                var out = [Float](repeating: 0, count: indices.count * d)
                code.withUnsafeBufferPointer { p in
                    for (i, r) in indices.enumerated() {
                        for j in 0..<d { out[i * d + j] = Float((Double(p[r * d + j]) - mean[j]) * scale[j]) }
                    }
                }
                return Tensor(out, shape: [indices.count, d])
            }
            self.fitRows = fitRows; self.scoreRows = scoreRows
            fit = rows(fitRows)
            score = rows(scoreRows)
            guard grams else { gramFit = []; gramHeld = []; return }
            var all = [Double](repeating: 0, count: d * d), held = all
            fit.withUnsafeBufferPointer { p in
                var x = [Double](repeating: 0, count: d)
                for i in 0..<fitRows.count {
                    for j in 0..<d { x[j] = Double(p[i * d + j]) }
                    for j in 0..<d where x[j] != 0 {
                        for k in j..<d { all[j * d + k] += x[j] * x[k] }
                        if i % 5 == 4 { for k in j..<d { held[j * d + k] += x[j] * x[k] } }
                    }
                }
            }
            for j in 0..<d { for k in 0..<j { all[j * d + k] = all[k * d + j]; held[j * d + k] = held[k * d + j] } }
            gramFit = all
            gramHeld = held
        }

        /// Accuracy on the scoring rows of a logistic regression fitted on the fitting rows:
        /// softmax cross-entropy, full-batch Adam from zero weights (the problem is convex), a
        /// small L2 penalty on the weights, not the bias.
        func logisticAccuracy(labels: [Int], classes k: Int) -> Double {
            let weight = Variable(Tensor(zeros: [k, fit.shape[1]]), requiresGrad: true)
            let bias = Variable(Tensor(zeros: [k]), requiresGrad: true)
            let adam = Adam(groups: [
                ParameterGroup(name: "weight", parameters: [weight], learningRate: ReadoutProbe.logisticRate,
                               weightDecay: ReadoutProbe.logisticPenalty),
                ParameterGroup(name: "bias", parameters: [bias], learningRate: ReadoutProbe.logisticRate),
            ])
            let x = Variable(fit), y = fitRows.map { labels[$0] }
            for _ in 0..<ReadoutProbe.logisticIterations {
                adam.zeroGrad()
                softmaxCrossEntropy(linear(x, weight: weight, bias: bias), labels: y).backward()
                adam.step()
            }
            let logits = GradMode.withoutGradients { linear(Variable(score), weight: weight, bias: bias).value }
            let wrong = Evaluation.misclassified(logits: logits, labels: scoreRows.map { labels[$0] }[...])
            return 1 - Double(wrong) / Double(max(1, scoreRows.count))
        }

        /// R^2 on the scoring rows of a ridge regression fitted on the fitting rows, its penalty
        /// chosen on the fitting rows (every fifth held out); NaN when no penalty gives a
        /// positive definite system.
        func ridgeR2(_ target: [Double]) -> Double {
            let yFit = fitRows.map { target[$0] }, yScore = scoreRows.map { target[$0] }
            let inner = fitRows.indices.filter { $0 % 5 != 4 }, held = fitRows.indices.filter { $0 % 5 == 4 }
            let gramInner = zip(gramFit, gramHeld).map { $0 - $1 }
            let innerDesign = Kernels.gatherRows(fit, inner), heldDesign = Kernels.gatherRows(fit, held)
            var best: (penalty: Int, r2: Double)? = nil
            if !held.isEmpty && !inner.isEmpty {
                for (i, penalty) in ReadoutProbe.ridgePenalties.enumerated() {
                    guard let model = Ridge(innerDesign, inner.map { yFit[$0] }, gram: gramInner, penalty: penalty) else { continue }
                    let r2 = ReadoutProbe.r2(model.predict(heldDesign), held.map { yFit[$0] })
                    if r2.isFinite, r2 > best?.r2 ?? -.infinity { best = (i, r2) }
                }
            }
            // The chosen penalty, or the next larger one that gives a positive definite system.
            for penalty in ReadoutProbe.ridgePenalties[(best?.penalty ?? 0)...] {
                if let model = Ridge(fit, yFit, gram: gramFit, penalty: penalty) {
                    return ReadoutProbe.r2(model.predict(score), yScore)
                }
            }
            return .nan
        }
    }

    /// Ridge regression with an unpenalised intercept (the target's mean on the fitting rows;
    /// the design is centred there): (X^T X + penalty n I) w = X^T (y - mean), by Cholesky; nil
    /// when the system is not positive definite.
    struct Ridge {
        let weights: [Double]
        let intercept: Double

        init?(_ x: Tensor, _ y: [Double], gram: [Double], penalty: Double) {
            let n = x.shape[0], d = x.shape[1]
            let mean = y.reduce(0, +) / Double(max(1, n))
            var rhs = [Double](repeating: 0, count: d)
            x.withUnsafeBufferPointer { p in
                for i in 0..<n { for j in 0..<d { rhs[j] += Double(p[i * d + j]) * (y[i] - mean) } }
            }
            var a = gram
            for j in 0..<d { a[j * d + j] += penalty * Double(max(1, n)) + 1e-12 }
            guard let solution = ReadoutProbe.choleskySolve(a, rhs, d) else { return nil }
            weights = solution
            intercept = mean
        }

        func predict(_ x: Tensor) -> [Double] {
            let n = x.shape[0], d = x.shape[1]
            return x.withUnsafeBufferPointer { p in
                (0..<n).map { i in (0..<d).reduce(intercept) { $0 + Double(p[i * d + $1]) * weights[$1] } }
            }
        }
    }

    /// 1 - sum (y - prediction)^2 / sum (y - mean y)^2; NaN when y is constant.
    public static func r2(_ prediction: [Double], _ y: [Double]) -> Double {
        let mean = y.reduce(0, +) / Double(max(1, y.count))
        let total = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let residual = zip(prediction, y).reduce(0) { $0 + ($1.1 - $1.0) * ($1.1 - $1.0) }
        return total > 0 ? 1 - residual / total : .nan
    }

    /// Solves A x = b for a symmetric positive definite A [d, d] (row-major); nil when a pivot
    /// is not positive (A is not positive definite to working precision).
    static func choleskySolve(_ a: [Double], _ b: [Double], _ d: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var sum = a[i * d + j]
                for k in 0..<j { sum -= l[i * d + k] * l[j * d + k] }
                if i == j {
                    guard sum > 0, sum.isFinite else { return nil }
                    l[i * d + j] = sum.squareRoot()
                } else {
                    l[i * d + j] = sum / l[j * d + j]
                }
            }
        }
        var z = [Double](repeating: 0, count: d)
        for i in 0..<d {
            var sum = b[i]
            for k in 0..<i { sum -= l[i * d + k] * z[k] }
            z[i] = sum / l[i * d + i]
        }
        var x = [Double](repeating: 0, count: d)
        for i in stride(from: d - 1, through: 0, by: -1) {
            var sum = z[i]
            for k in (i + 1)..<d { sum -= l[k * d + i] * x[k] }
            x[i] = sum / l[i * d + i]
        }
        return x
    }
}
