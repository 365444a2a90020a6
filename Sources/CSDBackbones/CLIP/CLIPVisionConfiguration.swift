import CSDAutograd

/// `CLIPVisionConfig` fields (read from a `clip_vision_model` config or a `clip` config's
/// `vision_config`).
public struct CLIPVisionConfiguration: Sendable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var mlpHidden: Int
    public var activation: Activation
    public var layerNormEps: Float
    public var imageSize: Int
    public var patchSize: Int
    /// Width of `image_embeds` (0 when the checkpoint has no `visual_projection`).
    public var projectionDim: Int

    public var positionGrid: Int { imageSize / patchSize }

    init(_ root: ConfigObject) throws {
        let type = try root.string("model_type")
        let c: ConfigObject
        switch type {
        case "clip_vision_model": c = root
        case "clip":
            guard let v = try root.object("vision_config") else {
                throw BackboneConfigError(file: root.file, "missing field 'vision_config'")
            }
            c = v
        default:
            throw BackboneConfigError(file: root.file, "field 'model_type': '\(type)' is not a CLIP model")
        }
        hiddenSize = try c.int("hidden_size", default: 768)
        layers = try c.int("num_hidden_layers", default: 12)
        heads = try c.int("num_attention_heads", default: 12)
        mlpHidden = try c.int("intermediate_size", default: 3072)
        activation = try c.activation("hidden_act", default: "quick_gelu")
        layerNormEps = Float(try c.double("layer_norm_eps", default: 1e-5))
        imageSize = try c.int("image_size", default: 224)
        patchSize = try c.int("patch_size", default: 32)
        try EncoderShapeCheck.check(file: c.file, width: ("hidden_size", hiddenSize), layers: ("num_hidden_layers", layers),
                                    heads: ("num_attention_heads", heads), patch: ("patch_size", patchSize))
        try EncoderShapeCheck.check(file: c.file, mlp: ("intermediate_size", mlpHidden), epsilon: ("layer_norm_eps", layerNormEps),
                                    image: ("image_size", imageSize), patch: patchSize)
        projectionDim = try EncoderShapeCheck.count(file: c.file, "projection_dim",
                                                    c.int("projection_dim", default: try root.int("projection_dim", default: 512)),
                                                    in: 1...EncoderShapeCheck.maximumWidth)
        let channels = try c.int("num_channels", default: 3)
        guard channels == 3 else { throw BackboneConfigError(file: c.file, "field 'num_channels': only 3 is supported, found \(channels)") }
    }
}
