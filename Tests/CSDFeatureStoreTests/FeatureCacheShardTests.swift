import CSDTestSupport
import CSDFeatureStore
import Foundation
import Testing

@Suite struct FeatureCacheShardTests {
    /// Writes `rows` of train and test in one run, and in `count` shard files.
    private func writeShards(_ dir: TemporaryFolder, provenance: CacheProvenance, count: Int,
                             train: Int, test: Int) throws -> [URL] {
        try (0..<count).map { k in
            let url = dir.fileURL(ShardPlan.shardFileName(for: "cache.h5", shard: k, of: count))
            for (name, rows) in [("train", train), ("test", test)] {
                let split = CacheFixtures.split(name, rows: rows)
                try CacheFixtures.write(url, provenance: provenance, split: split,
                                        rowRange: ShardPlan.range(shard: k, of: count, rows: rows))
            }
            return url
        }
    }

    @Test(arguments: [FeatureDType.f32, .f16])
    func threeShardsMergeIntoTheUnshardedFile(_ dtype: FeatureDType) throws {
        let dir = TemporaryFolder()
        let provenance = CacheFixtures.provenance(dtype: dtype)
        let unsharded = dir.fileURL("unsharded.h5"), merged = dir.fileURL("merged.h5")
        try CacheFixtures.write(unsharded, provenance: provenance, split: CacheFixtures.split("train", rows: 1000))
        try CacheFixtures.write(unsharded, provenance: provenance, split: CacheFixtures.split("test", rows: 334))
        let shards = try writeShards(dir, provenance: provenance, count: 3, train: 1000, test: 334)

        // A shard records its slice and is not readable as a whole split.
        let shard = try FeatureCacheReader(url: shards[1])
        let info = try shard.splitInfo("test")
        #expect(info.rowRange == 112..<223 && info.committedRows == 111 && info.spec.rows == 334)
        let error = #expect(throws: FeatureCacheError.self) { try shard.features("test") }
        #expect(error?.description.contains("merge the shards first") == true)

        try FeatureCacheMerge.merge(shards: shards.reversed(), into: merged)
        let expected = try CacheFixtures.contents(of: unsharded)
        #expect(expected.count > 10)
        #expect(try CacheFixtures.contents(of: merged) == expected)
        // The single file builder writes both, with no timestamps: the files are byte-identical.
        #expect(try CacheFixtures.fileBytes(merged) == CacheFixtures.fileBytes(unsharded))
    }

    @Test func gapsOverlapsAndMismatchesAreRefused() throws {
        let dir = TemporaryFolder()
        let provenance = CacheFixtures.provenance()
        let shards = try writeShards(dir, provenance: provenance, count: 3, train: 90, test: 30)
        let out = dir.fileURL("out.h5")

        let gap = #expect(throws: FeatureCacheError.self) { try FeatureCacheMerge.merge(shards: [shards[0], shards[2]], into: out) }
        #expect(gap == .shardTiling(split: "test", reason: "rows 10..<20 are in no shard"))
        let tail = #expect(throws: FeatureCacheError.self) { try FeatureCacheMerge.merge(shards: [shards[0], shards[1]], into: out) }
        #expect(tail == .shardTiling(split: "test", reason: "rows 20..<30 are in no shard"))
        let overlap = #expect(throws: FeatureCacheError.self) {
            try FeatureCacheMerge.merge(shards: [shards[0], shards[1], shards[1], shards[2]], into: out)
        }
        #expect(overlap?.description.contains("overlapping") == true)

        let stranger = dir.fileURL("stranger.h5")
        try CacheFixtures.write(stranger, provenance: CacheFixtures.provenance(model: "other"),
                                split: CacheFixtures.split("train", rows: 90), rowRange: 30..<60)
        let mismatch = #expect(throws: FeatureCacheError.self) {
            try FeatureCacheMerge.merge(shards: [shards[0], stranger, shards[2]], into: out)
        }
        #expect(mismatch?.description.contains("model_id") == true)
        #expect(!FileManager.default.fileExists(atPath: out.path))

        try FeatureCacheMerge.merge(shards: shards, into: out)
        #expect(throws: FeatureCacheError.self) { try FeatureCacheMerge.merge(shards: shards, into: out) }  // exists
        try FeatureCacheMerge.merge(shards: shards, into: out, overwrite: true)
        #expect(try FeatureCacheReader(url: out).indices("train") == Array(0..<90))
    }

    @Test func aShardResumesLikeAWholeSplit() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("shard.h5")
        let provenance = CacheFixtures.provenance()
        let split = CacheFixtures.split(rows: 300)
        let range = ShardPlan.range(shard: 2, of: 3, rows: 300)
        var writer: FeatureCacheWriter? = try FeatureCacheWriter(url: url, provenance: provenance, split: split, rowRange: range)
        #expect(writer!.nextRow == 200)
        try CacheFixtures.append(writer!, rows: 200..<250)
        writer = nil
        // Another shard's range is another request.
        #expect(throws: FeatureCacheError.self) {
            try FeatureCacheWriter(url: url, provenance: provenance, split: split, rowRange: 100..<200)
        }
        let resumed = try FeatureCacheWriter(url: url, provenance: provenance, split: split, rowRange: range)
        #expect(resumed.committedRows == 50 && resumed.nextRow == 250)
        try CacheFixtures.append(resumed, rows: resumed.remainingRows)
        try resumed.finish()
        let reader = try FeatureCacheReader(url: url, allowShards: true)
        #expect(try reader.indices("train") == Array(200..<300))
    }
}
