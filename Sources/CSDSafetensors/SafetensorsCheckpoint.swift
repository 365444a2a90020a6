import CSDTensor
import Foundation

/// A read-only set of named tensors: one safetensors file or a sharded checkpoint.
public protocol SafetensorsCheckpoint: AnyObject, Sendable {
    /// The file (or index json) this was opened from; errors name it.
    var url: URL { get }
    /// Every tensor name (file order for one file, sorted for a sharded checkpoint).
    var names: [String] { get }
    /// `__metadata__` of a file, or the `metadata` object of an index (values stringified).
    var metadata: [String: String] { get }
    func contains(_ name: String) -> Bool
    /// Dtype, shape and byte span of a tensor; throws `.missingTensor` when absent.
    func info(_ name: String) throws -> SafetensorsTensorInfo
    /// The tensor as float32 (zero-copy for aligned F32 data, converted otherwise).
    func tensor(_ name: String) throws -> Tensor
    /// An integer tensor's elements (I64 exactly; narrower integer dtypes widened).
    func int64s(_ name: String) throws -> [Int64]
}

public enum Safetensors {
    /// File name of the index in a sharded Hugging Face checkpoint.
    public static let indexFileName = "model.safetensors.index.json"

    /// Opens a checkpoint: an index json (sharded), a `.safetensors` file, or a directory
    /// holding `model.safetensors.index.json` or `model.safetensors`.
    public static func open(_ url: URL) throws -> any SafetensorsCheckpoint {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            let index = url.appendingPathComponent(indexFileName)
            if FileManager.default.fileExists(atPath: index.path) { return try ShardedCheckpoint(indexURL: index) }
            let single = url.appendingPathComponent("model.safetensors")
            if FileManager.default.fileExists(atPath: single.path) { return try SafetensorsFile(url: single) }
            throw SafetensorsError(.io, path: url.path, "directory holds neither \(indexFileName) nor model.safetensors")
        }
        if url.pathExtension == "json" { return try ShardedCheckpoint(indexURL: url) }
        return try SafetensorsFile(url: url)
    }
}
