import CSDAutograd
import CSDTensor

/// Non-overlapping patches to tokens: a conv with kernel = stride = `patch`, weight [E, C, p, p].
public final class PatchEmbed: Module {
    public let weight: Variable
    public let bias: Variable?
    public let patch: Int

    public init(channels: Int, dim: Int, patch: Int, bias: Bool = true, rng: inout RandomStream) {
        self.patch = patch
        let bound = 1 / Float(channels * patch * patch).squareRoot()
        weight = Variable(.randomUniform([dim, channels, patch, patch], low: -bound, high: bound, using: &rng),
                          requiresGrad: true)
        self.bias = bias ? Variable(.randomUniform([dim], low: -bound, high: bound, using: &rng), requiresGrad: true) : nil
        super.init()
        register("weight", parameter: weight)
        if let b = self.bias { register("bias", parameter: b) }
    }

    /// images [B, C, H, W] -> tokens [B, (H/p)(W/p), E].
    public func callAsFunction(_ images: Variable) -> Variable {
        patchEmbedding(images, weight: weight, bias: bias, patch: patch, precision: matmulPrecision)
    }
}
