import CSDTensor
import Foundation

// Element-wise functions. Each forward is one vectorised pass; each backward recomputes what
// it needs from the saved input (or output) rather than keeping extra tensors.

extension Variable {
    /// An element-wise op from its function type: the forward keeps input and output, the
    /// backward applies the chain rule in one fused pass.
    func pointwise<F: PointwiseFunction>(_ f: F) -> Variable {
        let x = value
        let y = Kernels.apply(f, x)
        return Variable.result(y, [self], { g in
            self.accumulateGrad(Kernels.applyDerivative(f, x: x, y: y, upstream: g))
        })
    }

    public func exp() -> Variable { pointwise(Pointwise.Exp()) }
    public func log() -> Variable { pointwise(Pointwise.Log()) }
    public func tanh() -> Variable { pointwise(Pointwise.Tanh()) }
    public func sigmoid() -> Variable { pointwise(Pointwise.Sigmoid()) }
    /// log(1 + e^x), stable for large |x|.
    public func softplus() -> Variable { pointwise(Pointwise.Softplus()) }
    public func relu() -> Variable { pointwise(Pointwise.ReLU()) }
    public func leakyRelu(_ slope: Float = 0.01) -> Variable { pointwise(Pointwise.LeakyReLU(slope: slope)) }
    /// Exact GELU: x * Phi(x) with the Gaussian CDF through erf (PyTorch's default `gelu`).
    public func gelu() -> Variable { pointwise(Pointwise.GELU()) }
    /// QuickGELU (CLIP): x * sigmoid(1.702 x).
    public func quickGelu() -> Variable { pointwise(Pointwise.QuickGELU()) }
    /// SiLU / swish: x * sigmoid(x) (DINOv2-giant's SwiGLU).
    public func silu() -> Variable { pointwise(Pointwise.SiLU()) }
}
