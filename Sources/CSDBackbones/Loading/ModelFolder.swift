import CSDSafetensors
import Foundation

/// A model folder as the hub lays it out: `config.json` next to `model.safetensors`, or next to
/// sharded `model-0000k-of-0000n.safetensors` files and their `model.safetensors.index.json`.
public struct ModelFolder: Sendable {
    public let url: URL

    public init(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BackboneConfigError(file: url.path, "not a model folder (expected a directory with config.json and model.safetensors)")
        }
        self.url = url
    }

    public var configURL: URL { url.appendingPathComponent("config.json") }

    public func config() throws -> ConfigObject {
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw BackboneConfigError(file: configURL.path, "missing: a model folder needs config.json")
        }
        return try ConfigObject(contentsOf: configURL)
    }

    /// The single file, or the index of a sharded checkpoint.
    public func checkpointURL() throws -> URL {
        let single = url.appendingPathComponent("model.safetensors")
        if FileManager.default.fileExists(atPath: single.path) { return single }
        let index = url.appendingPathComponent(Safetensors.indexFileName)
        if FileManager.default.fileExists(atPath: index.path) { return index }
        throw BackboneConfigError(file: url.path, "no model.safetensors or \(Safetensors.indexFileName) in the folder (convert .pth/.bin files with the scripts in tools/)")
    }

    public func openCheckpoint() throws -> any SafetensorsCheckpoint { try Safetensors.open(try checkpointURL()) }
}
