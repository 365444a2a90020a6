import CSDTensor
import Foundation

/// What `--model` names, resolved: a model folder, a preset whose files are on this machine, or
/// `random:<preset>` (random weights with the preset's architecture: tests, demos, benchmarks).
public struct ModelReference: Sendable {
    public enum Source: Sendable {
        case folder(URL)
        case random(preset: BackbonePreset, seed: UInt64)
    }

    public let source: Source
    /// Recorded in caches: the preset or folder name, or `random:<preset>:seed=<s>`.
    public let id: String

    /// Parses `random:<preset>[:seed]`, a folder path, or a preset name.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if text.hasPrefix("random:") {
            let parts = text.dropFirst("random:".count).split(separator: ":").map(String.init)
            guard let name = parts.first, let preset = BackbonePresets.named(name) else {
                throw BackboneConfigError(file: text, "unknown preset after 'random:' (known: \(BackbonePresets.all.map(\.name).joined(separator: ", ")))")
            }
            var seed: UInt64 = 0
            if parts.count > 1 {
                guard let s = UInt64(parts[1]) else { throw BackboneConfigError(file: text, "seed '\(parts[1])' is not a non-negative integer") }
                seed = s
            }
            source = .random(preset: preset, seed: seed)
            id = "random:\(name):seed=\(seed)"
            return
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory), isDirectory.boolValue {
            let url = URL(fileURLWithPath: text).standardizedFileURL
            source = .folder(url)
            id = url.lastPathComponent
            return
        }
        guard let preset = BackbonePresets.named(text) else {
            throw BackboneConfigError(file: text, "not a model folder and not a preset (known presets: \(BackbonePresets.all.map(\.name).joined(separator: ", ")); or random:<preset> for random weights)")
        }
        guard let folder = BackbonePresets.localFolder(for: preset, environment: environment) else {
            let root = BackbonePresets.modelsRoot(environment: environment).appendingPathComponent(preset.name).path
            throw BackboneConfigError(file: text, "preset files not found on this machine: put the hub repository \(preset.hubRepository) (config.json + model.safetensors) in \(root) ($CSD_MODELS/\(preset.name) when set) or the Hugging Face cache, or pass its folder to --model")
        }
        source = .folder(folder)
        id = preset.name
    }

    /// Builds the backbone.
    public func load(options: BackboneOptions = .init()) throws -> any Backbone {
        switch source {
        case .folder(let url): return try BackboneLoader.load(folder: url, options: options)
        case .random(let preset, let seed):
            return try BackboneLoader.randomlyInitialised(config: preset.configObject, options: options, seed: seed)
        }
    }

    /// The `config.json` that describes this model's architecture: the folder's own file, or the
    /// preset's fields for random weights. Written next to fine-tuned weights so that the result
    /// is a model folder like any other.
    public func configJSON() throws -> Data {
        switch source {
        case .folder(let url): return try Data(contentsOf: url.appendingPathComponent("config.json"))
        case .random(let preset, _):
            return try JSONSerialization.data(withJSONObject: preset.config.mapValues(\.any),
                                              options: [.prettyPrinted, .sortedKeys])
        }
    }

    /// SHA-256 of the weight files, or a description of the random initialisation.
    public func weightsDigest() throws -> String {
        switch source {
        case .folder(let url): return try ModelFolder(url).weightsSHA256()
        case .random(let preset, let seed): return "random-init:\(preset.name):seed=\(seed)"
        }
    }
}
