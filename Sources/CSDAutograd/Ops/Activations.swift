import CSDTensor
import Foundation

// Element-wise functions. Each forward is one vectorised pass; each backward recomputes what
// it needs from the saved input (or output) rather than keeping extra tensors.

public typealias V8 = VectorMath.V

extension Variable {
    /// A unary op from its vectorised value and derivative (`dfdx(x, y)` given input and output).
    func unary(_ f: @escaping (V8) -> V8, derivative: @escaping (V8, V8) -> V8) -> Variable {
        let x = value
        let y = Kernels.map(x, f)
        return Variable.result(y, [self], { g in
            let local = Kernels.zipMap(x, y, derivative)
            self.accumulateGrad(Kernels.binary(MulOp.self, g, local))
        })
    }

    public func exp() -> Variable { unary(VectorMath.exp, derivative: { _, y in y }) }

    public func log() -> Variable {
        unary({ x in
            var out = x
            for i in 0..<8 { out[i] = Foundation.log(x[i]) }
            return out
        }, derivative: { x, _ in 1 / x })
    }

    public func tanh() -> Variable { unary(VectorMath.tanh, derivative: { _, y in 1 - y * y }) }

    public func sigmoid() -> Variable { unary(VectorMath.sigmoid, derivative: { _, y in y * (1 - y) }) }

    /// log(1 + e^x), stable for large |x|.
    public func softplus() -> Variable {
        unary({ x in
            var out = pointwiseMax(x, V8(repeating: 0))
            let t = VectorMath.exp(-VectorMath.magnitude(x))
            for i in 0..<8 { out[i] += Foundation.log1p(t[i]) }
            return out
        }, derivative: { x, _ in VectorMath.sigmoid(x) })
    }

    public func relu() -> Variable {
        unary({ pointwiseMax($0, V8(repeating: 0)) }, derivative: { x, _ in
            V8(repeating: 0).replacing(with: 1, where: x .> 0)
        })
    }

    public func leakyRelu(_ slope: Float = 0.01) -> Variable {
        unary({ x in x.replacing(with: x * slope, where: x .< 0) }, derivative: { x, _ in
            V8(repeating: 1).replacing(with: slope, where: x .< 0)
        })
    }

    /// Exact GELU: x * Phi(x) with the Gaussian CDF through erf (PyTorch's default `gelu`).
    public func gelu() -> Variable {
        unary({ x in 0.5 * x * (1 + VectorMath.erf(x * 0.707_106_781_186_547_6)) }, derivative: { x, _ in
            let cdf = 0.5 * (1 + VectorMath.erf(x * 0.707_106_781_186_547_6))
            let pdf = 0.398_942_280_401_432_7 * VectorMath.exp(-0.5 * x * x)
            return cdf + x * pdf
        })
    }

    /// QuickGELU (CLIP): x * sigmoid(1.702 x).
    public func quickGelu() -> Variable {
        unary({ x in x * VectorMath.sigmoid(1.702 * x) }, derivative: { x, _ in
            let s = VectorMath.sigmoid(1.702 * x)
            return s + 1.702 * x * s * (1 - s)
        })
    }

    /// SiLU / swish: x * sigmoid(x) (DINOv2-giant's SwiGLU).
    public func silu() -> Variable {
        unary({ x in x * VectorMath.sigmoid(x) }, derivative: { x, _ in
            let s = VectorMath.sigmoid(x)
            return s + x * s * (1 - s)
        })
    }
}
