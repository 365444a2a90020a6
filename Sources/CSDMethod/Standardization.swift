import CSDAutograd
import CSDTensor

/// Per-feature standardisation of tokens (docs/METHOD.md's `standardize`): (y - mean) / std with the
/// statistics of the training split, fixed for the whole run and stored with the heads.
public struct Standardization: Sendable {
    public let mean: Tensor
    public let std: Tensor

    public init(mean: Tensor, std: Tensor) {
        self.mean = mean; self.std = std
    }

    /// Per-feature mean and population standard deviation (floored at 1e-6) of [N, D] rows,
    /// accumulated in double precision.
    public init(fitting x: Tensor) {
        let (n, d) = (x.shape[0], x.shape[1])
        var mean = [Double](repeating: 0, count: d), sq = [Double](repeating: 0, count: d)
        x.withUnsafeBufferPointer { p in
            for i in 0..<n { for j in 0..<d { mean[j] += Double(p[i * d + j]) } }
            for j in 0..<d { mean[j] /= Double(n) }
            for i in 0..<n { for j in 0..<d { let c = Double(p[i * d + j]) - mean[j]; sq[j] += c * c } }
        }
        let std = sq.map { Float(max(($0 / Double(n)).squareRoot(), 1e-6)) }
        self.init(mean: Tensor(mean.map(Float.init), shape: [d]), std: Tensor(std, shape: [d]))
    }

    /// (x - mean) / std of constant rows.
    public func apply(_ x: Tensor) -> Tensor {
        Kernels.binary(DivOp.self, Kernels.binary(SubOp.self, x, mean), std)
    }

    /// (y - mean) / std in the graph: gradients flow through into whatever produced `y`.
    public func apply(_ y: Variable) -> Variable {
        (y - Variable(mean)) / Variable(std)
    }
}
