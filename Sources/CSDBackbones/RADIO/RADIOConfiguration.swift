import CSDAutograd
import Foundation

/// RADIO's architecture, from either config form: transformers' `RadioConfig`
/// (`model_type: radio`) or the hub's remote-code config with an `args` dict (timm model name,
/// `model_kwargs`, `cpe_max_size`, `teachers`, `register_multiple`, `model_norm`).
public struct RADIOConfiguration: Sendable {
    public enum Form: String, Sendable { case transformers, hub }

    public var form: Form
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var mlpHidden: Int
    public var activation: Activation
    public var layerNormEps: Float
    public var patchSize: Int
    /// Side of the square CPE position table (cpe_max_size / patch).
    public var positionGrid: Int
    /// Class tokens plus registers, prepended without position.
    public var prefixTokens: Int
    public var summaryIndices: [Int]
    public var layerScale: Bool
    public var finalNorm: Bool
    public var qkvBias: Bool
    /// The input conditioner's statistics (transformers form; the hub form keeps them only in the weights).
    public var normMean: [Double]
    public var normStd: [Double]

    /// timm ViT sizes by name: (width, depth, heads).
    static let timmSizes: [String: (Int, Int, Int)] = [
        "tiny": (192, 12, 3), "small": (384, 12, 6), "base": (768, 12, 12), "large": (1024, 24, 16),
        "huge": (1280, 32, 16), "giant": (1408, 40, 16),
    ]

    static let imageNetMean = [0.485, 0.456, 0.406], imageNetStd = [0.229, 0.224, 0.225]

    static func isHubForm(_ c: ConfigObject) -> Bool { c.has("args") && !c.has("model_type") }

    init(_ c: ConfigObject) throws {
        if Self.isHubForm(c) {
            try self.init(hub: c)
        } else {
            try self.init(transformers: c)
        }
        try EncoderShapeCheck.check(file: c.file, mlp: ("mlp_ratio", mlpHidden), epsilon: ("layer_norm_eps", layerNormEps),
                                    patch: patchSize)
        guard (1...EncoderShapeCheck.maximumSide).contains(positionGrid) else {
            let field = Self.isHubForm(c) ? "args.cpe_max_size" : "max_img_size"
            throw BackboneConfigError(file: c.file, "field '\(field)': the position table's side \(positionGrid) (the image size over patch_size \(patchSize)) is not between 1 and \(EncoderShapeCheck.maximumSide)")
        }
    }

    init(transformers c: ConfigObject) throws {
        let type = try c.string("model_type")
        guard type == "radio" else {
            throw BackboneConfigError(file: c.file, "field 'model_type': '\(type)' is not a RADIO model")
        }
        form = .transformers
        hiddenSize = try c.int("hidden_size")
        layers = try c.int("num_hidden_layers")
        heads = try c.int("num_attention_heads")
        patchSize = try c.int("patch_size", default: 16)
        try EncoderShapeCheck.check(file: c.file, width: ("hidden_size", hiddenSize), layers: ("num_hidden_layers", layers),
                                    heads: ("num_attention_heads", heads), patch: ("patch_size", patchSize))
        mlpHidden = Int(Double(hiddenSize) * (try EncoderShapeCheck.mlpRatio(c, "mlp_ratio")))
        activation = try c.activation("hidden_act", default: "gelu")
        layerNormEps = Float(try c.double("layer_norm_eps", default: 1e-6))
        positionGrid = try c.int("max_img_size", default: 2048) / patchSize
        let tokens = 0...EncoderShapeCheck.maximumPrefixTokens
        prefixTokens = try EncoderShapeCheck.count(file: c.file, "num_cls_tokens", c.int("num_cls_tokens", default: 1), in: tokens)
            + EncoderShapeCheck.count(file: c.file, "num_registers", c.int("num_registers", default: 0), in: tokens)
        summaryIndices = try c.ints("summary_idxs", default: [0])
        layerScale = false
        finalNorm = try c.bool("model_norm", default: false)
        qkvBias = try c.bool("qkv_bias", default: true)
        if try c.bool("use_swiglu_ffn", default: false) {
            throw BackboneConfigError(file: c.file, "field 'use_swiglu_ffn': SwiGLU RADIO models are not supported")
        }
        normMean = try c.doubles("norm_mean", default: Self.imageNetMean)
        normStd = try c.doubles("norm_std", default: Self.imageNetStd)
        // One per colour channel; the input is divided by the deviations.
        for (key, values) in [("norm_mean", normMean), ("norm_std", normStd)]
        where values.count != 3 || !values.allSatisfy({ $0.isFinite }) || (key == "norm_std" && !values.allSatisfy({ $0 > 0 })) {
            throw BackboneConfigError(file: c.file, "field '\(key)': \(values) is not 3 finite numbers\(key == "norm_std" ? " above 0" : "")")
        }
    }

    init(hub c: ConfigObject) throws {
        guard let args = try c.object("args") else { throw BackboneConfigError(file: c.file, "missing field 'args'") }
        form = .hub
        let model = try args.string("model")
        let parts = model.split(separator: "_")
        guard parts.count >= 3, parts[0] == "vit", let size = Self.timmSizes[String(parts[1])],
              parts[2].hasPrefix("patch"), let patchFromName = Int(parts[2].dropFirst("patch".count)) else {
            throw BackboneConfigError(file: args.file, "field 'model': '\(model)' is not a supported timm ViT (vit_<size>_patch<p>_...)")
        }
        let kw = try args.object("model_kwargs") ?? ConfigObject([:], file: args.file)
        hiddenSize = try kw.int("embed_dim", default: size.0)
        layers = try kw.int("depth", default: size.1)
        heads = try kw.int("num_heads", default: size.2)
        patchSize = try kw.int("patch_size", default: patchFromName)
        try EncoderShapeCheck.check(file: args.file, width: ("embed_dim", hiddenSize), layers: ("depth", layers),
                                    heads: ("num_heads", heads), patch: ("patch_size", patchSize))
        mlpHidden = Int(Double(hiddenSize) * (try EncoderShapeCheck.mlpRatio(kw, "mlp_ratio")))
        activation = .gelu
        layerNormEps = 1e-6
        qkvBias = try kw.bool("qkv_bias", default: true)
        layerScale = kw.has("init_values")
        finalNorm = try args.bool("model_norm", default: false)
        let cpe = try args.int("cpe_max_size", default: 2048)
        positionGrid = Int((Double(cpe) / Double(patchSize)).rounded())
        let teachers = (args.values["teachers"] as? [[String: Any]]) ?? []
        let perTeacher = try args.bool("cls_token_per_teacher", default: false)
        let teacherNames = Set(teachers.compactMap { $0["name"] as? String })
        let classTokens = perTeacher ? max(1, teacherNames.count) : 1
        var registers = 0
        let tokens = 0...EncoderShapeCheck.maximumPrefixTokens
        if args.has("cpe_num_registers") {
            registers = try EncoderShapeCheck.count(file: args.file, "cpe_num_registers", args.int("cpe_num_registers"), in: tokens)
        } else if args.has("register_multiple") {
            let multiple = try EncoderShapeCheck.count(file: args.file, "register_multiple", args.int("register_multiple"), in: tokens)
            if multiple > 0 { registers = multiple - classTokens % multiple }
        }
        prefixTokens = classTokens + registers
        summaryIndices = teachers.isEmpty ? [0] : teachers.enumerated()
            .filter { ($0.element["use_summary"] as? Bool) ?? true }.map(\.offset)
        normMean = Self.imageNetMean
        normStd = Self.imageNetStd
    }
}
