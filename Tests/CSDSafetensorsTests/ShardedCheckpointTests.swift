import CSDTestSupport
import CSDSafetensors
import Foundation
import Testing

/// Error cases of sharded checkpoints, on copies of the committed fixture in fresh folders.
@Suite struct ShardedCheckpointTests {
    static let shardNames = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]

    func withShardCopy(_ body: (URL) throws -> Void) throws {
        try withTemporaryDirectory { dir in
            for name in Self.shardNames + [Safetensors.indexFileName] {
                try FileManager.default.copyItem(at: fixtureURL("sharded/\(name)"), to: dir.appendingPathComponent(name))
            }
            try body(dir)
        }
    }

    func writeIndex(_ text: String, in dir: URL) throws {
        try Data(text.utf8).write(to: dir.appendingPathComponent(Safetensors.indexFileName))
    }

    @Test func opensFromIndexFileOrFolder() throws {
        try withShardCopy { dir in
            let viaIndex = try ShardedCheckpoint(indexURL: dir.appendingPathComponent(Safetensors.indexFileName))
            let viaFolder = try Safetensors.open(dir)
            #expect(viaIndex.names == viaFolder.names)
            #expect(viaIndex.contains("layer.1.bias") && !viaIndex.contains("layer.2.bias"))
            expectError(.missingTensor, mentioning: [Safetensors.indexFileName, "'layer.2.bias'"]) {
                _ = try viaIndex.tensor("layer.2.bias")
            }
        }
    }

    @Test func missingShardNamesShardAndTensor() throws {
        try withShardCopy { dir in
            try FileManager.default.removeItem(at: dir.appendingPathComponent(Self.shardNames[1]))
            expectError(.missingShard, mentioning: [Safetensors.indexFileName, Self.shardNames[1], "'head.weight'", "does not exist"]) {
                _ = try Safetensors.open(dir)
            }
        }
    }

    @Test func nameMappedToShardThatLacksIt() throws {
        try withShardCopy { dir in
            try writeIndex(#"{"metadata":{},"weight_map":{"embed.weight":"model-00001-of-00002.safetensors","extra.weight":"model-00001-of-00002.safetensors"}}"#, in: dir)
            expectError(.missingTensor, mentioning: [Safetensors.indexFileName, "'extra.weight'", Self.shardNames[0]]) {
                _ = try Safetensors.open(dir)
            }
        }
    }

    @Test func badIndexFiles() throws {
        try withShardCopy { dir in
            let index = dir.appendingPathComponent(Safetensors.indexFileName)
            try writeIndex("{\"weight_map\": ", in: dir)
            expectError(.invalidJSON, mentioning: [Safetensors.indexFileName, "not valid JSON"]) { _ = try ShardedCheckpoint(indexURL: index) }
            try writeIndex(#"{"metadata":{}}"#, in: dir)
            expectError(.invalidIndex, mentioning: [Safetensors.indexFileName, "weight_map"]) { _ = try ShardedCheckpoint(indexURL: index) }
            try writeIndex(#"{"weight_map":{"a":"../../etc/passwd"}}"#, in: dir)
            expectError(.invalidIndex, mentioning: ["'a'", "../../etc/passwd"]) { _ = try ShardedCheckpoint(indexURL: index) }
            try writeIndex(#"{"weight_map":{"a":7}}"#, in: dir)
            expectError(.invalidIndex, mentioning: ["'a'", "not a file name"]) { _ = try ShardedCheckpoint(indexURL: index) }
        }
    }

    @Test func corruptShardIsReportedByItsOwnPath() throws {
        try withShardCopy { dir in
            let shard = dir.appendingPathComponent(Self.shardNames[0])
            let bytes = try Data(contentsOf: shard)
            try bytes.prefix(bytes.count - 4).write(to: shard)
            expectError(.offsetsOutOfRange, mentioning: [Self.shardNames[0], "truncated"]) { _ = try Safetensors.open(dir) }
        }
    }
}
