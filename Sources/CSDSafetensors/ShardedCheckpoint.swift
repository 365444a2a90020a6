import CSDTensor
import Foundation

/// A checkpoint split over several safetensors files, described by a Hugging Face index json:
/// `{"metadata": {...}, "weight_map": {"tensor name": "shard file name", ...}}`.
///
/// Every shard is opened (mapped) up front and every mapping is checked, so a missing shard or
/// a tensor absent from its shard is reported at open time, naming both.
public final class ShardedCheckpoint: SafetensorsCheckpoint, @unchecked Sendable {
    public let url: URL
    /// The index's `metadata` object; non-string values (e.g. `total_size`) as their JSON text.
    public let metadata: [String: String]
    /// Names from the weight map, sorted. Tensors a shard holds but the index omits are not part
    /// of the checkpoint, as in the Python loaders.
    public let names: [String]
    /// Shards by the file name used in the weight map.
    public let shards: [String: SafetensorsFile]
    private let weightMap: [String: String]

    /// Index files are small; this bounds what is read before parsing.
    static let maxIndexLength = 100_000_000

    public convenience init(indexPath: String) throws { try self.init(indexURL: URL(fileURLWithPath: indexPath)) }

    public init(indexURL: URL) throws {
        url = indexURL
        let path = indexURL.path
        func invalid(_ reason: String) -> SafetensorsError { SafetensorsError(.invalidIndex, path: path, reason) }

        let data = try Self.readIndex(path: path)
        let json: JSONValue
        do {
            json = try data.withUnsafeBytes { raw in
                try JSONParser.parse(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                                         count: raw.count))
            }
        } catch let e as JSONParseError {
            throw SafetensorsError(.invalidJSON, path: path, "index is not valid JSON: \(e.description)")
        }
        guard case .object(let top) = json else { throw invalid("index is a JSON \(json.kindName), not an object") }

        var metadata: [String: String] = [:]
        if let m = top.first(where: { $0.key == "metadata" })?.value {
            switch m {
            case .null: break
            case .object(let entries):
                for (k, v) in entries {
                    if case .string(let s) = v { metadata[k] = s } else { metadata[k] = v.jsonText }
                }
            default: throw invalid("index \"metadata\" is a JSON \(m.kindName), not an object")
            }
        }
        guard let mapValue = top.first(where: { $0.key == "weight_map" })?.value else {
            throw invalid("index has no \"weight_map\"")
        }
        guard case .object(let entries) = mapValue else {
            throw invalid("index \"weight_map\" is a JSON \(mapValue.kindName), not an object")
        }
        var weightMap: [String: String] = [:]
        for (name, value) in entries {
            guard case .string(let file) = value else {
                throw invalid("weight_map entry for '\(name)' is a JSON \(value.kindName), not a file name")
            }
            // Shards live beside the index; refuse paths that would escape its folder.
            guard !file.isEmpty, !file.hasPrefix("/"), !file.split(separator: "/").contains("..") else {
                throw invalid("weight_map entry for '\(name)' names '\(file)', which is not a file beside the index")
            }
            guard weightMap.updateValue(file, forKey: name) == nil else {
                throw SafetensorsError(.duplicateName, path: path, "weight_map lists '\(name)' twice", tensorNames: [name])
            }
        }

        let folder = indexURL.deletingLastPathComponent()
        var shards: [String: SafetensorsFile] = [:]
        let byFile = Dictionary(grouping: weightMap.keys.sorted(), by: { weightMap[$0]! })
        for file in byFile.keys.sorted() {
            let tensors = byFile[file]!
            let shardURL = folder.appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: shardURL.path) else {
                let others = tensors.count > 1 ? " and \(tensors.count - 1) other tensors" : ""
                throw SafetensorsError(
                    .missingShard, path: path,
                    "shard '\(file)' (\(shardURL.path)), listed for tensor '\(tensors[0])'\(others), does not exist",
                    tensorNames: tensors)
            }
            let shard = try SafetensorsFile(url: shardURL)
            for name in tensors where !shard.contains(name) {
                throw SafetensorsError(
                    .missingTensor, path: path,
                    "weight_map maps tensor '\(name)' to shard '\(file)', but \(shardURL.path) has no such tensor",
                    tensorNames: [name])
            }
            shards[file] = shard
        }
        self.metadata = metadata
        self.weightMap = weightMap
        self.shards = shards
        self.names = weightMap.keys.sorted()
    }

    private static func readIndex(path: String) throws -> Data {
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw SafetensorsError(.io, path: path, "cannot read index: \(error.localizedDescription)")
        }
        if let size = (attributes[.size] as? NSNumber)?.intValue, size > maxIndexLength {
            throw SafetensorsError(.invalidIndex, path: path, "index is \(size) bytes, over the \(maxIndexLength)-byte limit")
        }
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw SafetensorsError(.io, path: path, "cannot read index: \(error.localizedDescription)")
        }
    }

    /// The shard holding `name`.
    public func shard(for name: String) throws -> SafetensorsFile {
        guard let file = weightMap[name], let shard = shards[file] else {
            throw SafetensorsError(.missingTensor, path: url.path, "no tensor named '\(name)' in the weight map",
                                   tensorNames: [name])
        }
        return shard
    }

    public func contains(_ name: String) -> Bool { weightMap[name] != nil }
    public func info(_ name: String) throws -> SafetensorsTensorInfo { try shard(for: name).info(name) }
    public func tensor(_ name: String) throws -> Tensor { try shard(for: name).tensor(name) }
    public func int64s(_ name: String) throws -> [Int64] { try shard(for: name).int64s(name) }
}
