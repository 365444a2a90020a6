import CSDAutograd
import CSDTensor

/// Central finite differences against the autodiff gradient of `loss = sum(f(inputs) * R)` with
/// a fixed random projection R, so every output element contributes.
struct GradientCheck {
    /// How inputs are drawn: domain restrictions keep the finite difference away from kinks,
    /// poles and log's domain boundary.
    enum Domain { case normal, positive, awayFromZero }

    struct Input {
        let shape: [Int]
        var domain: Domain = .normal
        var differentiable = true
    }

    let name: String
    let inputs: [Input]
    /// Allowed |analytic - numeric| / max(1, |numeric|) per checked coordinate.
    var tolerance: Float = 1e-2
    var epsilon: Float = 1e-2
    let function: ([Variable]) -> Variable

    func makeInputs(seed: UInt64) -> [Tensor] {
        var rng = RandomStream(seed: seed, stream: 11)
        return inputs.map { spec in
            var t = Tensor.randomNormal(spec.shape, using: &rng)
            t.withUnsafeMutableBufferPointer { b in
                for i in b.indices {
                    switch spec.domain {
                    case .normal: break
                    case .positive: b[i] = 0.5 + abs(b[i])
                    case .awayFromZero: b[i] = (b[i] < 0 ? -1 : 1) * (0.2 + abs(b[i]))
                    }
                }
            }
            return t
        }
    }

    /// The worst error over checked coordinates, and where it happened.
    func run(seed: UInt64 = 1, maxCoordinatesPerInput: Int = 48) -> (error: Float, at: String) {
        let values = makeInputs(seed: seed)
        let vars = zip(values, inputs).map { Variable($0.copy(), requiresGrad: $1.differentiable) }
        let out = function(vars)
        var rng = RandomStream(seed: seed, stream: 12)
        let projection = Tensor.randomNormal(out.shape, using: &rng)
        let loss = (out * Variable(projection)).sum()
        loss.backward()

        func evaluate(_ xs: [Tensor]) -> Double {
            GradMode.withoutGradients {
                let y = function(xs.map { Variable($0) }).value
                var s = 0.0
                for i in 0..<y.count { s += Double(y[flat: i]) * Double(projection[flat: i]) }
                return s
            }
        }

        var worst: Float = 0, worstAt = "-"
        for (k, spec) in inputs.enumerated() where spec.differentiable {
            let analytic = vars[k].grad ?? Tensor(zeros: spec.shape)
            let n = values[k].count
            let step = max(1, n / maxCoordinatesPerInput)
            for i in stride(from: 0, to: n, by: step) {
                var plus = values, minus = values
                plus[k] = values[k].copy(); plus[k][flat: i] += epsilon
                minus[k] = values[k].copy(); minus[k][flat: i] -= epsilon
                let numeric = Float((evaluate(plus) - evaluate(minus)) / (2 * Double(epsilon)))
                let err = abs(analytic[flat: i] - numeric) / max(1, abs(numeric))
                if err > worst {
                    worst = err
                    worstAt = "input \(k)[\(i)]: analytic \(analytic[flat: i]) numeric \(numeric)"
                }
            }
        }
        return (worst, worstAt)
    }
}
