import CSDAutograd
import CSDNN
import CSDTensor

/// How one family names the parts of a pre-norm transformer block in its checkpoints.
public struct BlockLayout: Sendable {
    public var norm1: String
    public var attention: String
    public var projection: MultiHeadSelfAttention.Projection
    public var attentionOutput: String
    public var norm2: String
    public var mlp: String
    /// Linear names inside the MLP: [fc1, fc2], or [in, out] of a SwiGLU.
    public var mlpLayers: [String]
    /// LayerScale children and their parameter name; `nil` when the family has none.
    public var layerScale: (first: String, second: String, parameter: String)?

    public init(norm1: String, attention: String, projection: MultiHeadSelfAttention.Projection,
                attentionOutput: String, norm2: String, mlp: String, mlpLayers: [String],
                layerScale: (first: String, second: String, parameter: String)?) {
        self.norm1 = norm1; self.attention = attention; self.projection = projection
        self.attentionOutput = attentionOutput; self.norm2 = norm2; self.mlp = mlp
        self.mlpLayers = mlpLayers; self.layerScale = layerScale
    }
}

/// Sizes and choices of one encoder block.
public struct BlockShape: Sendable {
    public var dim: Int
    public var heads: Int
    public var mlpHidden: Int
    public var activation: Activation
    public var layerNormEps: Float
    public var qkvBias = true
    public var swiglu = false
}

/// The SwiGLU feed-forward of DINOv2-giant: silu(x W1a) * (x W1b), then W2.
public final class SwiGLU: Module {
    public let weightsIn: Linear, weightsOut: Linear
    public let hidden: Int

    public init(dim: Int, hidden: Int, names: [String], rng: inout RandomStream) {
        self.hidden = hidden
        weightsIn = Linear(dim, 2 * hidden, rng: &rng)
        weightsOut = Linear(hidden, dim, rng: &rng)
        super.init()
        register(names[0], child: weightsIn)
        register(names[1], child: weightsOut)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        let h = weightsIn(x)
        let axis = h.shape.count - 1
        return weightsOut(h.slice(axis: axis, 0..<hidden).silu() * h.slice(axis: axis, hidden..<(2 * hidden)))
    }
}

/// x + ls1 * Attn(LN1(x)); then + ls2 * MLP(LN2(x)). Shared by every backbone family.
public final class ViTBlock: Module {
    public let norm1: LayerNorm, norm2: LayerNorm
    public let attention: MultiHeadSelfAttention
    public let mlp: Module
    let feedForward: (Variable) -> Variable
    public let layerScale1: LayerScale?, layerScale2: LayerScale?

    public init(shape: BlockShape, layout: BlockLayout, rng: inout RandomStream) {
        norm1 = LayerNorm(shape.dim, eps: shape.layerNormEps)
        norm2 = LayerNorm(shape.dim, eps: shape.layerNormEps)
        attention = MultiHeadSelfAttention(dim: shape.dim, heads: shape.heads, qkvBias: shape.qkvBias,
                                           projection: layout.projection, outputName: layout.attentionOutput,
                                           rng: &rng)
        if shape.swiglu {
            let m = SwiGLU(dim: shape.dim, hidden: shape.mlpHidden, names: layout.mlpLayers, rng: &rng)
            mlp = m
            feedForward = { m($0) }
        } else {
            let m = MLP([shape.dim, shape.mlpHidden, shape.dim], activation: shape.activation,
                        names: layout.mlpLayers, rng: &rng)
            mlp = m
            feedForward = { m($0) }
        }
        if let ls = layout.layerScale {
            layerScale1 = LayerScale(shape.dim, parameterName: ls.parameter)
            layerScale2 = LayerScale(shape.dim, parameterName: ls.parameter)
        } else {
            layerScale1 = nil
            layerScale2 = nil
        }
        super.init()
        register(layout.norm1, child: norm1)
        register(layout.attention, child: attention)
        if let ls = layout.layerScale, let l1 = layerScale1 { register(ls.first, child: l1) }
        register(layout.norm2, child: norm2)
        register(layout.mlp, child: mlp)
        if let ls = layout.layerScale, let l2 = layerScale2 { register(ls.second, child: l2) }
    }

    /// Keep only the block's input during training and recompute its activations in the
    /// backward pass (memory for about one extra forward per block).
    public var recomputesActivations = false

    public func callAsFunction(_ x: Variable) -> Variable {
        guard recomputesActivations else { return forward(x) }
        return recomputed(x, parameters: parameters) { [unowned self] in self.forward($0) }
    }

    func forward(_ x: Variable) -> Variable {
        let h = residual(x, attention(norm1(x)), scale: layerScale1?.scale)
        return residual(h, feedForward(norm2(h)), scale: layerScale2?.scale)
    }
}
