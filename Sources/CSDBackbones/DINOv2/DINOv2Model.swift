import CSDAutograd
import CSDNN
import CSDTensor

/// DINOv2 (with or without registers) as transformers' `Dinov2Model`, keys as in its files.
public final class DINOv2Model: Module, Backbone {
    public let config: DINOv2Configuration
    public let family = BackboneFamily.dinov2
    public var imageTokenDimension: Int { config.hiddenSize }
    public var tokenDimension: Int { config.hiddenSize }
    public var patchSize: Int { config.patchSize }
    public var nativeImageSize: Int { config.imageSize }

    let clsToken: Variable, maskToken: Variable, positionEmbeddings: Variable
    let registerTokens: Variable?
    public let patchEmbed: PatchEmbed
    public let blocks: [ViTBlock]
    public let layerNorm: LayerNorm

    static let layout = BlockLayout(
        norm1: "norm1", attention: "attention",
        projection: .separate(query: "attention.query", key: "attention.key", value: "attention.value"),
        attentionOutput: "output.dense", norm2: "norm2", mlp: "mlp", mlpLayers: ["fc1", "fc2"],
        layerScale: (first: "layer_scale1", second: "layer_scale2", parameter: "lambda1"))

    public init(config: DINOv2Configuration, rng: inout RandomStream) {
        self.config = config
        let d = config.hiddenSize, g = config.positionGrid
        clsToken = Variable(Tensor(zeros: [1, 1, d]), requiresGrad: true)
        maskToken = Variable(Tensor(zeros: [1, d]), requiresGrad: true)
        positionEmbeddings = Variable(Tensor(zeros: [1, 1 + g * g, d]), requiresGrad: true)
        registerTokens = config.registers > 0
            ? Variable(Tensor(zeros: [1, config.registers, d]), requiresGrad: true) : nil
        patchEmbed = PatchEmbed(channels: config.channels, dim: d, patch: config.patchSize, rng: &rng)
        var layout = Self.layout
        if config.swiglu { layout.mlpLayers = ["weights_in", "weights_out"] }
        let shape = BlockShape(dim: d, heads: config.heads, mlpHidden: config.mlpHidden, activation: config.activation,
                               layerNormEps: config.layerNormEps, qkvBias: config.qkvBias, swiglu: config.swiglu)
        blocks = (0..<config.layers).map { _ in ViTBlock(shape: shape, layout: layout, rng: &rng) }
        layerNorm = LayerNorm(d, eps: config.layerNormEps)
        super.init()
        register("embeddings.cls_token", parameter: clsToken)
        register("embeddings.mask_token", parameter: maskToken)
        register("embeddings.position_embeddings", parameter: positionEmbeddings)
        if let r = registerTokens { register("embeddings.register_tokens", parameter: r) }
        register("embeddings.patch_embeddings.projection", child: patchEmbed)
        for (i, b) in blocks.enumerated() { register("encoder.layer.\(i)", child: b) }
        register("layernorm", child: layerNorm)
        // The mask token only serves masked-image pre-training; it never enters this forward.
        maskToken.requiresGrad = false
    }

    /// Position rows for a gh x gw grid: [1, 1 + gh * gw, D].
    public func positions(height: Int, width: Int) -> Variable {
        let (gh, gw) = (height / config.patchSize, width / config.patchSize)
        let g = config.positionGrid, d = config.hiddenSize
        // transformers keeps the table as is only for a square input of the native grid.
        if gh * gw == g * g && height == width { return positionEmbeddings }
        let cls = positionEmbeddings.slice(axis: 1, 0..<1)
        let patches = positionEmbeddings.slice(axis: 1, 1..<(1 + g * g)).reshaped([g * g, d])
        let resized = PositionTable.resize(patches, side: g, to: gh, gw, mode: config.interpolation)
        return concat([cls, resized.reshaped([1, gh * gw, d])], axis: 1)
    }

    public func callAsFunction(_ pixels: Variable) -> BackboneOutput {
        validateInput(pixels)
        let (b, h, w) = (pixels.shape[0], pixels.shape[2], pixels.shape[3])
        let d = config.hiddenSize
        let patches = patchEmbed(pixels)
        var x = concat([clsToken.expanded(to: [b, 1, d]), patches], axis: 1) + positions(height: h, width: w)
        if let r = registerTokens {
            // Registers go after [CLS], after the position add: they carry no position.
            let t = x.shape[1]
            x = concat([x.slice(axis: 1, 0..<1), r.expanded(to: [b, config.registers, d]), x.slice(axis: 1, 1..<t)], axis: 1)
        }
        for block in blocks { x = block(x) }
        let tokens = layerNorm(x)
        return BackboneOutput(tokens: tokens, imageToken: token(tokens, 0),
                              patchMean: meanOfTokens(tokens, from: 1 + config.registers))
    }
}
