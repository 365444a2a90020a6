import CSDTestSupport
import CSDFeatureStore
import CSDHDF5
import Foundation
import Testing

@Suite struct FeatureCacheReaderErrorTests {
    @Test func anHDF5FileWithoutSchemaIsNotACache() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("plain.h5")
        do {
            let file = try HDF5File(creating: url)
            _ = try file.createDataset("images", type: .uint8, shape: [2, 4])
        }
        let error = #expect(throws: FeatureCacheError.self) { try FeatureCacheReader(url: url) }
        #expect(error == .notACache(path: url.path, reason: "no schema_version attribute, and no <split>/features data set "
                                    + "(the minimal schema: train/features, train/labels, test/features, test/labels)"))
        #expect(throws: FeatureCacheError.self) { try CacheInspector.describe(url) }
    }

    @Test func aHandMadeCacheHearsOfEveryMissingRootAttributeAtOnce() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("hand.h5")
        do {
            let file = try HDF5File(creating: url)
            try file.setAttribute("schema_version", .int64(Int64(CacheProvenance.currentSchemaVersion)))
            try file.setAttribute("model_id", .string("mine"))
        }
        let error = #expect(throws: FeatureCacheError.self) { try FeatureCacheReader(url: url) }
        #expect(error?.description == "\(url.path): malformed feature cache: missing root attributes weights_sha256, token, "
                + "preprocessing, dataset_id, dataset_fingerprint, tool_version, dtype, feature_dim (docs/ARCHITECTURE.md lists the schema)")
    }

    @Test func aTextFileOrATruncatedCacheGivesAClearError() throws {
        let dir = TemporaryFolder()
        let text = dir.fileURL("notes.h5")
        try Data("hello".utf8).write(to: text)
        let e1 = #expect(throws: FeatureCacheError.self) { try FeatureCacheReader(url: text) }
        #expect(e1 == .notACache(path: text.path, reason: "not an HDF5 file"))

        let cache = dir.fileURL("cache.h5")
        try CacheFixtures.write(cache, provenance: CacheFixtures.provenance(), split: CacheFixtures.split(rows: 500))
        let bytes = try Data(contentsOf: cache)
        let cut = dir.fileURL("cut.h5")
        try bytes.prefix(bytes.count / 2).write(to: cut)
        let e2 = #expect(throws: (any Error).self) {
            let reader = try FeatureCacheReader(url: cut)
            _ = try reader.features("train")
        }
        #expect("\(e2!)".contains(cut.path))

        // A writer refuses to build on it, unless told to replace it.
        #expect(throws: (any Error).self) {
            try FeatureCacheWriter(url: cut, provenance: CacheFixtures.provenance(), split: CacheFixtures.split("test", rows: 5))
        }
        try CacheFixtures.write(cut, provenance: CacheFixtures.provenance(), split: CacheFixtures.split("test", rows: 5),
                                options: .init(overwrite: true, syncEachBatch: false))
        #expect(try FeatureCacheReader(url: cut).splitNames == ["test"])
    }

    @Test func missingAndIncompleteSplitsAreNamed() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("c.h5")
        try CacheFixtures.write(url, provenance: CacheFixtures.provenance(), split: CacheFixtures.split(rows: 20))
        let reader = try FeatureCacheReader(url: url)
        let missing = #expect(throws: FeatureCacheError.self) { try reader.labels("test") }
        #expect(missing == .missingSplit(path: url.path, split: "test", available: ["train"]))
        #expect(missing?.description == "\(url.path): no split \"test\" (the file has: train)")

        // A file whose split says fewer rows are committed than it has (written by hand).
        let partial = dir.fileURL("partial.h5")
        try FileManager.default.copyItem(at: url, to: partial)
        do {
            let file = try HDF5File(opening: partial, mode: .readWrite)
            try file.openGroup("train").setAttribute("committed_rows", .int64(12))
        }
        let e = #expect(throws: FeatureCacheError.self) { try FeatureCacheReader(url: partial).features("train") }
        #expect(e == .incompleteSplit(path: partial.path, split: "train", committedRows: 12, rows: 20, rowRange: nil))
        #expect(e?.description.contains("incomplete: 12 of 20 rows") == true)
    }

    @Test func aSplitDeclaringMoreRowsThanTheFileStoresIsRefusedBeforeReading() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("c.h5")
        try CacheFixtures.write(url, provenance: CacheFixtures.provenance(), split: CacheFixtures.split(rows: 20))
        do {  // 2^31 rows declared by hand, nothing written for them
            let file = try HDF5File(opening: url, mode: .readWrite)
            let train = try file.openGroup("train")
            for name in ["features", "labels", "index"] { try train.openDataset(name).resize(rows: 1 << 31) }
            try train.setAttribute("rows", .int64(1 << 31))
            try train.setAttribute("committed_rows", .int64(1 << 31))
        }
        let e = #expect(throws: FeatureCacheError.self) { try FeatureCacheReader(url: url).features("train") }
        #expect(e?.description.contains("c.h5: malformed feature cache: train/features: its shape [2147483648, ") == true,
                "\(e.map { "\($0)" } ?? "")")
        #expect(e?.description.contains("truncated or hostile") == true)
    }

    @Test func aFlippedBitInTheFeaturesFailsTheChecksumOnRead() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("c.h5")
        try CacheFixtures.write(url, provenance: CacheFixtures.provenance(), split: CacheFixtures.split(rows: 20))
        #expect(try CacheVerifier.verify(url) == "\(url.path): OK: train 20 rows; every chunk's Fletcher32 checksum "
                + "verified; features finite, labels and indices in range")
        // The bytes of one stored feature (row 5, column 3), found in the file and altered by one bit.
        try #require(try BitRot.flip(CacheFixtures.feature(5, 3), in: url))
        let reads: [() throws -> Void] = [
            { _ = try FeatureCacheReader(url: url).features("train") },
            { _ = try CacheVerifier.verify(url) },
            { _ = try CacheInspector.describe(url) },
        ]
        for read in reads {
            let e = #expect(throws: (any Error).self) { try read() }
            #expect(e.map { "\($0)" } == "\(url.path): train/features rows 0..<20: corrupt data: a chunk fails its "
                    + "Fletcher32 checksum (the file changed after it was written; extract it again)")
        }
    }

    @Test func aMergeOfAShardWithAFlippedBitNamesTheShardDataSetAndRows() throws {
        let dir = TemporaryFolder()
        let shards = (0..<2).map { dir.fileURL("c.shard-\($0 + 1)-of-2.h5") }
        for (k, url) in shards.enumerated() {
            try CacheFixtures.write(url, provenance: CacheFixtures.provenance(), split: CacheFixtures.split(rows: 40),
                                    rowRange: (k * 20)..<(k * 20 + 20))
        }
        try #require(try BitRot.flip(CacheFixtures.feature(33, 2), in: shards[1]))
        let merged = dir.fileURL("merged.h5")
        let e = #expect(throws: (any Error).self) { try FeatureCacheMerge.merge(shards: shards, into: merged) }
        #expect(e.map { "\($0)" } == "\(shards[1].path): train/features rows 0..<20: corrupt data: a chunk fails its "
                + "Fletcher32 checksum (the file changed after it was written; extract it again)")
        #expect(!FileManager.default.fileExists(atPath: merged.path))
    }

    @Test func nonFiniteFeaturesAreFoundByValidateFinite() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("nan.h5")
        let provenance = CacheFixtures.provenance(dim: 4)
        let writer = try FeatureCacheWriter(url: url, provenance: provenance, split: CacheFixtures.split(rows: 10, attributes: []),
                                            options: .init(allowNonFinite: true))
        var features = (0..<40).map { Float($0) }
        features[7 * 4 + 3] = .infinity
        try features.withUnsafeBufferPointer {
            try writer.append(indices: Array(0..<10), labels: [Int](repeating: 1, count: 10), features: $0)
        }
        try writer.finish()
        let reader = try FeatureCacheReader(url: url)
        let error = #expect(throws: FeatureCacheError.self) { try reader.validateFinite() }
        #expect(error == .nonFinite(path: url.path, split: "train", row: 7, column: 3, value: .infinity))
    }

    @Test func anotherSchemaVersionIsRefused() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("v2.h5")
        try CacheFixtures.write(url, provenance: CacheFixtures.provenance(), split: CacheFixtures.split(rows: 3))
        do {
            let file = try HDF5File(opening: url, mode: .readWrite)
            try file.setAttribute("schema_version", .int64(2))
        }
        let error = #expect(throws: FeatureCacheError.self) { try FeatureCacheReader(url: url) }
        #expect(error == .unsupportedSchema(path: url.path, version: 2))
    }
}
