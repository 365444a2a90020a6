import CSDAutograd
import CSDTensor

/// Layer normalisation over the last dimension with an affine weight and bias.
public final class LayerNorm: Module {
    public let weight: Variable
    public let bias: Variable
    public let eps: Float

    public init(_ dim: Int, eps: Float = 1e-5) {
        self.eps = eps
        weight = Variable(Tensor(repeating: 1, shape: [dim]), requiresGrad: true)
        bias = Variable(Tensor(zeros: [dim]), requiresGrad: true)
        super.init()
        register("weight", parameter: weight)
        register("bias", parameter: bias)
    }

    public func callAsFunction(_ x: Variable) -> Variable { layerNorm(x, weight: weight, bias: bias, eps: eps) }
}

/// Per-channel scaling of a residual branch (DINOv2's `lambda1`, timm's `gamma`).
public final class LayerScale: Module {
    public let scale: Variable

    public init(_ dim: Int, initialValue: Float = 1, parameterName: String = "lambda1") {
        scale = Variable(Tensor(repeating: initialValue, shape: [dim]), requiresGrad: true)
        super.init()
        register(parameterName, parameter: scale)
    }

    public func callAsFunction(_ x: Variable) -> Variable { x * scale }
}
