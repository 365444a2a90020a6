import CSDAutograd

/// `Dinov2Config` / `Dinov2WithRegistersConfig` fields that shape the model.
public struct DINOv2Configuration: Sendable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var mlpHidden: Int
    public var activation: Activation
    public var layerNormEps: Float
    public var imageSize: Int
    public var patchSize: Int
    public var channels: Int
    public var qkvBias: Bool
    public var swiglu: Bool
    public var registers: Int
    /// transformers' behaviour by default; `.bicubicOriginal` reproduces facebookresearch's code.
    public var interpolation: PositionInterpolation

    /// Side of the square position table (without the [CLS] row).
    public var positionGrid: Int { imageSize / patchSize }

    init(_ c: ConfigObject) throws {
        let type = try c.string("model_type")
        guard type == "dinov2" || type == "dinov2_with_registers" else {
            throw BackboneConfigError(file: c.file, "field 'model_type': '\(type)' is not a DINOv2 model")
        }
        hiddenSize = try c.int("hidden_size")
        layers = try c.int("num_hidden_layers")
        heads = try c.int("num_attention_heads")
        imageSize = try c.int("image_size", default: 518)
        patchSize = try c.int("patch_size", default: 14)
        try EncoderShapeCheck.check(file: c.file, width: ("hidden_size", hiddenSize), layers: ("num_hidden_layers", layers),
                                    heads: ("num_attention_heads", heads), patch: ("patch_size", patchSize))
        let ratio = try EncoderShapeCheck.mlpRatio(c, "mlp_ratio")
        swiglu = try c.bool("use_swiglu_ffn", default: false)
        let hidden = Int(Double(hiddenSize) * ratio)
        // transformers' Dinov2SwiGLUFFN: two thirds of the MLP width, rounded up to a multiple of 8.
        mlpHidden = swiglu ? (Int(Double(hidden) * 2 / 3) + 7) / 8 * 8 : hidden
        activation = try c.activation("hidden_act", default: "gelu")
        layerNormEps = Float(try c.double("layer_norm_eps", default: 1e-6))
        try EncoderShapeCheck.check(file: c.file, mlp: ("mlp_ratio", mlpHidden), epsilon: ("layer_norm_eps", layerNormEps),
                                    image: ("image_size", imageSize), patch: patchSize)
        channels = try c.int("num_channels", default: 3)
        qkvBias = try c.bool("qkv_bias", default: true)
        registers = type == "dinov2_with_registers"
            ? try EncoderShapeCheck.count(file: c.file, "num_register_tokens", c.int("num_register_tokens", default: 4),
                                          in: 0...EncoderShapeCheck.maximumPrefixTokens) : 0
        interpolation = registers > 0 ? .bicubicAntialiased : .bicubic
        guard channels == 3 else { throw BackboneConfigError(file: c.file, "field 'num_channels': only 3 is supported, found \(channels)") }
    }
}

