import CSDNN
import CSDSafetensors
import CSDTensor
import Foundation

/// Choices that are not in a checkpoint.
public struct BackboneOptions: Sendable {
    /// CLIP: cache `image_embeds` (the projection) instead of `pooler_output`.
    public var clipImageEmbeds = false
    /// DINOv2: override the position-table interpolation (e.g. `.bicubicOriginal`).
    public var dinov2Interpolation: PositionInterpolation? = nil

    public init(clipImageEmbeds: Bool = false, dinov2Interpolation: PositionInterpolation? = nil) {
        self.clipImageEmbeds = clipImageEmbeds
        self.dinov2Interpolation = dinov2Interpolation
    }
}

/// Builds a backbone from a model folder (recognised from its `config.json`) and loads its
/// weights strictly: a missing, mis-shaped or unused tensor is an error naming it.
public enum BackboneLoader {
    public static func load(folder url: URL, options: BackboneOptions = .init()) throws -> any Backbone {
        let folder = try ModelFolder(url)
        let config = try folder.config()
        let checkpoint = try folder.openCheckpoint()
        try requireWeights(for: config, in: checkpoint)
        var rng = RandomStream(seed: 0)
        return try build(config: config, options: options, checkpoint: checkpoint, rng: &rng)
    }

    /// Building a model allocates every parameter before a weight is read, so a config of a
    /// model far larger than its checkpoint (a width of 65536 or an image side of 16384 next to
    /// weights of a few MB, each within the sizes a config may hold) is refused first: a layer
    /// holds at least 4 width^2 (attention) + 2 width x MLP width parameters, the position table a
    /// row per patch, and no checkpoint stores a parameter in less than a byte.
    static func requireWeights(for config: ConfigObject, in checkpoint: any SafetensorsCheckpoint) throws {
        let a = try architecture(config: config)
        let w = Double(a.width)
        let parameters = Double(a.layers) * (4 * w * w + 2 * w * Double(a.mlpWidth)) + Double(a.positions) * w
        let bytes = try checkpoint.names.reduce(0) { $0 + (try checkpoint.info($1).byteCount) }
        guard parameters <= Double(bytes) else {
            throw BackboneConfigError(file: config.file, "describes at least \(Int(parameters)) parameters (width \(a.width), "
                                      + "MLP width \(a.mlpWidth), \(a.layers) layers, \(a.positions) positions), more than the \(bytes) bytes of "
                                      + "\(checkpoint.url.lastPathComponent) hold: the config does not belong to these weights")
        }
    }

    /// A model with random weights from a config (benchmarks, tests, the demo).
    public static func randomlyInitialised(config: ConfigObject, options: BackboneOptions = .init(),
                                           seed: UInt64 = 0) throws -> any Backbone {
        var rng = RandomStream(seed: seed)
        let model = try build(config: config, options: options, checkpoint: nil, rng: &rng)
        // Linear and patch layers keep PyTorch's default initialisation (their constructors'):
        // random features of a useful scale. Tokens and position tables get N(0, 0.02); norms
        // and layer scales the identity.
        var draws = RandomStream(seed: seed, stream: 1)
        let layerParameters = Set(model.descendants.filter { $0 is Linear || $0 is PatchEmbed }
            .flatMap { $0.localParameters.map { ObjectIdentifier($0.variable) } })
        for (_, p) in model.namedParameters() where p.requiresGrad && !layerParameters.contains(ObjectIdentifier(p)) {
            p.value = .randomNormal(p.shape, std: 0.02, using: &draws)
        }
        for module in model.descendants {
            if let norm = module as? LayerNorm {
                norm.weight.value = Tensor(repeating: 1, shape: norm.weight.shape)
                norm.bias.value = Tensor(zeros: norm.bias.shape)
            } else if let scale = module as? LayerScale {
                scale.scale.value = Tensor(repeating: 1, shape: scale.scale.shape)
            }
        }
        return model
    }

    /// The main sizes a config describes, checked, without building the model.
    public struct Architecture: Sendable {
        public let family: BackboneFamily
        public let width: Int, layers: Int, heads: Int, patchSize: Int
        /// The MLP's hidden width and the rows of the position table.
        public let mlpWidth: Int, positions: Int
    }

    public static func architecture(config: ConfigObject) throws -> Architecture {
        let type = try config.string("model_type", default: "")
        if type == "radio" || RADIOConfiguration.isHubForm(config) {
            let c = try RADIOConfiguration(config)
            return Architecture(family: .radio, width: c.hiddenSize, layers: c.layers, heads: c.heads, patchSize: c.patchSize,
                                mlpWidth: c.mlpHidden, positions: c.positionGrid * c.positionGrid)
        }
        switch type {
        case "dinov2", "dinov2_with_registers":
            let c = try DINOv2Configuration(config)
            return Architecture(family: .dinov2, width: c.hiddenSize, layers: c.layers, heads: c.heads, patchSize: c.patchSize,
                                mlpWidth: c.mlpHidden, positions: c.positionGrid * c.positionGrid + 1)
        case "clip", "clip_vision_model":
            let c = try CLIPVisionConfiguration(config)
            return Architecture(family: .clip, width: c.hiddenSize, layers: c.layers, heads: c.heads, patchSize: c.patchSize,
                                mlpWidth: c.mlpHidden, positions: c.positionGrid * c.positionGrid + 1)
        default:
            throw BackboneConfigError(file: config.file, "field 'model_type': '\(type)' is not a supported backbone (dinov2, dinov2_with_registers, clip, clip_vision_model, radio)")
        }
    }

    /// Recognises the family from `model_type` (or the remote-code RADIO form) and builds it.
    static func build(config: ConfigObject, options: BackboneOptions, checkpoint: (any SafetensorsCheckpoint)?,
                      rng: inout RandomStream) throws -> any Backbone {
        let type = try config.string("model_type", default: "")
        if type == "radio" || RADIOConfiguration.isHubForm(config) {
            return try buildRADIO(config: config, checkpoint: checkpoint, rng: &rng)
        }
        switch type {
        case "dinov2", "dinov2_with_registers":
            var c = try DINOv2Configuration(config)
            if let mode = options.dinov2Interpolation { c.interpolation = mode }
            let model = DINOv2Model(config: c, rng: &rng)
            if let checkpoint {
                let loader = StrictLoader(checkpoint)
                try model.load(from: loader)
                try loader.finish()
            }
            return model
        case "clip", "clip_vision_model":
            let c = try CLIPVisionConfiguration(config)
            let prefixed = checkpoint?.contains("vision_model.embeddings.class_embedding") ?? true
            let hasProjection = checkpoint?.contains("visual_projection.weight") ?? true
            if options.clipImageEmbeds && !hasProjection {
                throw BackboneConfigError(file: config.file, "image_embeds requested but the checkpoint has no visual_projection.weight")
            }
            let model = CLIPVisionModel(config: c, withProjection: hasProjection, useImageEmbeds: options.clipImageEmbeds, rng: &rng)
            if let checkpoint {
                let loader = StrictLoader(checkpoint)
                // Full CLIPModel files also hold the text tower; vision-only files may drop the prefix.
                try model.load(from: loader, rename: { key in
                    prefixed || !key.hasPrefix("vision_model.") ? key : String(key.dropFirst("vision_model.".count))
                })
                for prefix in ["text_model.", "text_projection.", "logit_scale"] { loader.ignore(prefix: prefix) }
                for name in ["vision_model.embeddings.position_ids", "embeddings.position_ids"] where loader.contains(name) {
                    loader.ignore(name)
                }
                try loader.finish()
            }
            return model
        default:
            throw BackboneConfigError(file: config.file, "field 'model_type': '\(type)' is not a supported backbone (dinov2, dinov2_with_registers, clip, clip_vision_model, radio)")
        }
    }

    static func buildRADIO(config: ConfigObject, checkpoint: (any SafetensorsCheckpoint)?,
                           rng: inout RandomStream) throws -> any Backbone {
        var c = try RADIOConfiguration(config)
        let block0 = "radio_model.model.blocks.0."
        var layerScale: (first: String, second: String, parameter: String)? = nil
        if let checkpoint {
            // The checkpoint is the authority on LayerScale's spelling and on the prefix tokens.
            for (first, second, parameter) in [("ls1", "ls2", "gamma"), ("ls1", "ls2", "grandma"),
                                               ("layer_scale1", "layer_scale2", "lambda1")]
            where checkpoint.contains(block0 + "\(first).\(parameter)") {
                layerScale = (first, second, parameter)
            }
            let tokens = "radio_model.model.patch_generator.cls_token.token"
            if checkpoint.contains(tokens) { c.prefixTokens = try checkpoint.info(tokens).shape.first ?? c.prefixTokens }
            if checkpoint.contains("radio_model.summary_idxs") {
                c.summaryIndices = try checkpoint.int64s("radio_model.summary_idxs").map { Int($0) }
            }
        } else if c.layerScale {
            layerScale = c.form == .hub ? ("ls1", "ls2", "gamma") : ("layer_scale1", "layer_scale2", "lambda1")
        }
        guard let maxIndex = c.summaryIndices.max(), maxIndex < c.prefixTokens, c.summaryIndices.min()! >= 0 else {
            throw BackboneConfigError(file: config.file, "summary_idxs \(c.summaryIndices) must select among the \(c.prefixTokens) prefix tokens")
        }
        let model = RADIOModel(config: c, layerScale: layerScale, rng: &rng)
        if let checkpoint {
            let loader = StrictLoader(checkpoint)
            try model.load(from: loader)
            if loader.contains("radio_model.summary_idxs") { loader.ignore("radio_model.summary_idxs") }
            // Adaptors (teacher heads) and feature normalisers are not part of the backbone.
            for prefix in ["radio_model.adaptors.", "adaptors.", "radio_model.feature_normalizer.",
                           "radio_model.inter_feature_normalizer."] { loader.ignore(prefix: prefix) }
            try loader.finish()
        }
        model.normMean.requiresGrad = false
        model.normStd.requiresGrad = false
        return model
    }
}
