import CSDAutograd
import CSDNN
import CSDTensor

/// The CLIP vision tower as transformers' `CLIPVisionModelWithProjection`.
///
/// The image token is `pooler_output` (`post_layernorm` of token 0) by default, or
/// `image_embeds` (its projection) when `useImageEmbeds` is set.
public final class CLIPVisionModel: Module, Backbone {
    public let config: CLIPVisionConfiguration
    public let family = BackboneFamily.clip
    public var useImageEmbeds: Bool
    public var imageTokenDimension: Int { useImageEmbeds ? config.projectionDim : config.hiddenSize }
    public var tokenDimension: Int { config.hiddenSize }
    public var patchSize: Int { config.patchSize }
    public var nativeImageSize: Int { config.imageSize }

    let classEmbedding: Variable, positionEmbedding: Variable
    let patchEmbed: PatchEmbed
    let preLayerNorm: LayerNorm, postLayerNorm: LayerNorm
    public let blocks: [ViTBlock]
    public let projection: Linear?

    static let layout = BlockLayout(
        norm1: "layer_norm1", attention: "self_attn",
        projection: .separate(query: "q_proj", key: "k_proj", value: "v_proj"),
        attentionOutput: "out_proj", norm2: "layer_norm2", mlp: "mlp", mlpLayers: ["fc1", "fc2"],
        layerScale: nil)

    /// `withProjection`: whether the checkpoint carries `visual_projection` (CLIPVisionModel
    /// files do not; CLIPVisionModelWithProjection and CLIPModel files do).
    public init(config: CLIPVisionConfiguration, withProjection: Bool, useImageEmbeds: Bool = false,
                rng: inout RandomStream) {
        precondition(withProjection || !useImageEmbeds, "image_embeds needs the visual projection")
        self.config = config
        self.useImageEmbeds = useImageEmbeds
        let d = config.hiddenSize, g = config.positionGrid
        classEmbedding = Variable(Tensor(zeros: [d]), requiresGrad: true)
        positionEmbedding = Variable(Tensor(zeros: [1 + g * g, d]), requiresGrad: true)
        patchEmbed = PatchEmbed(channels: 3, dim: d, patch: config.patchSize, bias: false, rng: &rng)
        preLayerNorm = LayerNorm(d, eps: config.layerNormEps)
        postLayerNorm = LayerNorm(d, eps: config.layerNormEps)
        let shape = BlockShape(dim: d, heads: config.heads, mlpHidden: config.mlpHidden, activation: config.activation,
                               layerNormEps: config.layerNormEps)
        blocks = (0..<config.layers).map { _ in ViTBlock(shape: shape, layout: Self.layout, rng: &rng) }
        projection = withProjection ? Linear(d, config.projectionDim, bias: false, rng: &rng) : nil
        super.init()
        register("vision_model.embeddings.class_embedding", parameter: classEmbedding)
        register("vision_model.embeddings.patch_embedding", child: patchEmbed)
        register("vision_model.embeddings.position_embedding.weight", parameter: positionEmbedding)
        register("vision_model.pre_layrnorm", child: preLayerNorm)
        for (i, b) in blocks.enumerated() { register("vision_model.encoder.layers.\(i)", child: b) }
        register("vision_model.post_layernorm", child: postLayerNorm)
        if let p = projection { register("visual_projection", child: p) }
    }

    /// [1 + gh * gw, D]: the table itself at the native size, else bicubic (transformers'
    /// `interpolate_pos_encoding`).
    func positions(height: Int, width: Int) -> Variable {
        let (gh, gw) = (height / config.patchSize, width / config.patchSize)
        let g = config.positionGrid, d = config.hiddenSize
        if gh * gw == g * g && height == width { return positionEmbedding }
        let cls = positionEmbedding.slice(axis: 0, 0..<1)
        let patches = positionEmbedding.slice(axis: 0, 1..<(1 + g * g))
        return concat([cls, PositionTable.resize(patches, side: g, to: gh, gw, mode: .bicubic)], axis: 0)
            .reshaped([1 + gh * gw, d])
    }

    public func callAsFunction(_ pixels: Variable) -> BackboneOutput {
        validateInput(pixels)
        let (b, h, w) = (pixels.shape[0], pixels.shape[2], pixels.shape[3])
        let d = config.hiddenSize
        let patches = patchEmbed(pixels)
        let cls = classEmbedding.reshaped([1, 1, d]).expanded(to: [b, 1, d])
        var x = concat([cls, patches], axis: 1) + positions(height: h, width: w)
        x = preLayerNorm(x)
        for block in blocks { x = block(x) }
        let pooled = postLayerNorm(token(x, 0))
        let image = useImageEmbeds ? projection!(pooled) : pooled
        return BackboneOutput(tokens: x, imageToken: image, patchMean: meanOfTokens(x, from: 1))
    }
}
