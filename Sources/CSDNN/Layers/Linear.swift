import CSDAutograd
import CSDTensor

/// y = x W^T + b, with W stored [out, in] as in PyTorch.
public final class Linear: Module {
    public let weight: Variable
    public let bias: Variable?
    public let inFeatures: Int, outFeatures: Int

    /// PyTorch's default initialisation: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout RandomStream) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let bound = 1 / Float(max(inFeatures, 1)).squareRoot()
        weight = Variable(.randomUniform([outFeatures, inFeatures], low: -bound, high: bound, using: &rng),
                          requiresGrad: true)
        self.bias = bias ? Variable(.randomUniform([outFeatures], low: -bound, high: bound, using: &rng),
                                    requiresGrad: true) : nil
        super.init()
        register("weight", parameter: weight)
        if let b = self.bias { register("bias", parameter: b) }
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        linear(x, weight: weight, bias: bias, precision: matmulPrecision)
    }
}
