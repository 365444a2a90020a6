import CSDAutograd
import CSDNN
import CSDSafetensors
import CSDTensor

/// RADIO (v2, v2.5, C-RADIO) as transformers' `RadioModel`: a timm ViT with a CPE patch
/// generator, the input conditioner inside the model, and the summary as the image token.
///
/// Input pixels are RGB in [0, 1]; H and W must be multiples of the patch size.
public final class RADIOModel: Module, Backbone {
    public let config: RADIOConfiguration
    public let family = BackboneFamily.radio
    public var imageTokenDimension: Int { config.hiddenSize * config.summaryIndices.count }
    public var tokenDimension: Int { config.hiddenSize }
    public var patchSize: Int { config.patchSize }
    public var nativeImageSize: Int { config.positionGrid * config.patchSize }

    let normMean: Variable, normStd: Variable
    let embedder: Variable
    let positionTable: Variable
    let prefixTokens: Variable
    public let blocks: [ViTBlock]
    let finalNorm: LayerNorm?

    /// `layerScaleName`: how the checkpoint spells LayerScale (`ls1.gamma` in timm files,
    /// `layer_scale1.lambda1` in transformers files), or nil when the blocks have none.
    public init(config: RADIOConfiguration, layerScale: (first: String, second: String, parameter: String)?,
                rng: inout RandomStream) {
        self.config = config
        let d = config.hiddenSize, p = config.patchSize, g = config.positionGrid
        normMean = Variable(Tensor(config.normMean.map(Float.init), shape: [3, 1, 1]))
        normStd = Variable(Tensor(config.normStd.map(Float.init), shape: [3, 1, 1]))
        embedder = Variable(.randomNormal([d, 3 * p * p], std: 0.02, using: &rng), requiresGrad: true)
        positionTable = Variable(Tensor(zeros: [1, g * g, d]), requiresGrad: true)
        prefixTokens = Variable(Tensor(zeros: [config.prefixTokens, d]), requiresGrad: true)
        let layout = BlockLayout(norm1: "norm1", attention: "attn", projection: .fused("qkv"), attentionOutput: "proj",
                                 norm2: "norm2", mlp: "mlp", mlpLayers: ["fc1", "fc2"], layerScale: layerScale)
        let shape = BlockShape(dim: d, heads: config.heads, mlpHidden: config.mlpHidden, activation: config.activation,
                               layerNormEps: config.layerNormEps, qkvBias: config.qkvBias)
        blocks = (0..<config.layers).map { _ in ViTBlock(shape: shape, layout: layout, rng: &rng) }
        finalNorm = config.finalNorm ? LayerNorm(d, eps: config.layerNormEps) : nil
        super.init()
        // The conditioner's statistics are buffers: loaded, never trained.
        register("radio_model.input_conditioner.norm_mean", parameter: normMean)
        register("radio_model.input_conditioner.norm_std", parameter: normStd)
        register("radio_model.model.patch_generator.embedder.weight", parameter: embedder)
        register("radio_model.model.patch_generator.pos_embed", parameter: positionTable)
        register("radio_model.model.patch_generator.cls_token.token", parameter: prefixTokens)
        for (i, b) in blocks.enumerated() { register("radio_model.model.blocks.\(i)", child: b) }
        if let n = finalNorm { register("radio_model.model.norm", child: n) }
    }

    /// CPE in eval mode: the table resized (bilinear) to m x m, m = max(gh, gw), then its
    /// top-left gh x gw corner. [gh * gw, D].
    func positions(gridHeight gh: Int, gridWidth gw: Int) -> Variable {
        let g = config.positionGrid, d = config.hiddenSize, m = max(gh, gw)
        let square = ResizeWeights.cachedGrid(mode: .bilinear, inHeight: g, inWidth: g, outHeight: m, outWidth: m)
        var rows: [Tensor] = []
        for y in 0..<gh { rows.append(Kernels.slice(square, axis: 0, range: (y * m)..<(y * m + gw))) }
        let weights = Kernels.concat(rows, axis: 0)
        return Variable(weights).matmul(positionTable.reshaped([g * g, d]))
    }

    public func callAsFunction(_ pixels: Variable) -> BackboneOutput {
        validateInput(pixels)
        let (b, h, w) = (pixels.shape[0], pixels.shape[2], pixels.shape[3])
        let p = config.patchSize, d = config.hiddenSize
        precondition(h % p == 0 && w % p == 0, "RADIO: image \(h)x\(w) is not a multiple of the patch size \(p)")
        let (gh, gw) = (h / p, w / p)
        let normalised = (pixels - normMean) / normStd
        let patches = patchEmbedding(normalised, weight: embedder.reshaped([d, 3, p, p]), bias: nil, patch: p,
                                     precision: matmulPrecision)
            + positions(gridHeight: gh, gridWidth: gw).reshaped([1, gh * gw, d])
        let prefix = prefixTokens.reshaped([1, config.prefixTokens, d]).expanded(to: [b, config.prefixTokens, d])
        var x = concat([prefix, patches], axis: 1)
        for block in blocks { x = block(x) }
        if let n = finalNorm { x = n(x) }
        let summary = concat(config.summaryIndices.map { token(x, $0) }, axis: 1)
        return BackboneOutput(tokens: x, imageToken: summary, patchMean: meanOfTokens(x, from: config.prefixTokens))
    }
}
