import CSDTestSupport
@testable import CSDFeatureStore
import CSDHDF5
import CSDSystem
import Foundation
import Testing

@Suite struct FeatureCacheRoundTripTests {
    @Test(arguments: [FeatureDType.f32, .f16])
    func writeThenReadEverything(_ dtype: FeatureDType) throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("cache.h5")
        let provenance = CacheFixtures.provenance(dtype: dtype)
        let n = 1000, dim = provenance.featureDim
        let writer = try FeatureCacheWriter(url: url, provenance: provenance, split: CacheFixtures.split(rows: n))
        #expect(writer.committedRows == 0 && writer.nextRow == 0 && !writer.isSplitComplete)
        try CacheFixtures.append(writer, rows: 0..<n, batch: 96)
        #expect(writer.committedRows == n)
        try writer.finish()
        #expect(writer.isSplitComplete)

        // Only the cache remains: no journal, lock or temporary file.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["cache.h5"])

        let reader = try FeatureCacheReader(url: url)
        #expect(reader.provenance == provenance)
        #expect(reader.splitNames == ["train"])
        #expect(reader.dimension == dim)
        #expect(try reader.rows("train") == n)
        #expect(try reader.classNames("train") == CacheFixtures.classNames)
        #expect(try reader.labels("train") == (0..<n).map(CacheFixtures.label))
        #expect(try reader.indices("train") == Array(0..<n))
        let attributes = try reader.attributes("train")
        #expect(attributes.keys.sorted() == ["angle", "width"])
        #expect(attributes["width"] == (0..<n).map { CacheFixtures.attribute("width", $0) })

        let features = try reader.features("train")
        #expect(features.shape == [n, dim])
        let expected: [Float] = (0..<n).flatMap { r in (0..<dim).map { c in
            let x = CacheFixtures.feature(r, c)
            return dtype == .f32 ? x : HalfPrecision.float(fromHalf: HalfPrecision.half(from: x))
        } }
        #expect(features.scalars == expected)
        let slice = try reader.features("train", rows: 100..<110)
        #expect(slice.shape == [10, dim])
        #expect(slice.scalars == Array(expected[(100 * dim)..<(110 * dim)]))
        try reader.validateFinite()

        // The stored element type is what h5py reads as float16 / float32.
        let dataset = try HDF5File(opening: url.path).openGroup("train").openDataset("features")
        #expect(dataset.elementType == (dtype == .f32 ? .float32 : .float16))
        #expect(try dataset.chunkShape.map { $0.reduce(dtype.byteCount, *) }! <= 1 << 20)
    }

    @Test func emptySplitRoundTrips() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("empty.h5")
        let writer = try FeatureCacheWriter(url: url, provenance: CacheFixtures.provenance(),
                                            split: CacheFixtures.split("extra", rows: 0, attributes: []))
        try writer.finish()
        let reader = try FeatureCacheReader(url: url)
        #expect(try reader.features("extra").shape == [0, 16])
        #expect(try reader.labels("extra").isEmpty)
        #expect(try reader.attributes("extra").isEmpty)
    }

    @Test func theOutputDirectoryIsCreatedAndAMissingFileNamed() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("cache/models/x.h5")
        try CacheFixtures.write(url, provenance: CacheFixtures.provenance(), split: CacheFixtures.split(rows: 3))
        #expect(try FeatureCacheReader(url: url).rows("train") == 3)
        let missing = dir.fileURL("nothing.h5")
        let error = #expect(throws: FeatureCacheError.self) { try FeatureCacheReader(url: missing) }
        #expect(error?.description == "\(missing.path): open failed: No such file or directory")
    }

    @Test func twoSplitsAccumulateInOneFile() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("two.h5")
        let provenance = CacheFixtures.provenance()
        try CacheFixtures.write(url, provenance: provenance, split: CacheFixtures.split("train", rows: 300))
        try CacheFixtures.write(url, provenance: provenance, split: CacheFixtures.split("test", rows: 120), salt: 5)
        let reader = try FeatureCacheReader(url: url)
        #expect(reader.splitNames == ["test", "train"])
        #expect(try reader.rows("train") == 300 && reader.rows("test") == 120)
        #expect(try reader.features("test", rows: 0..<1).scalars[0] == CacheFixtures.feature(0, 0, salt: 5))
        #expect(try reader.features("train", rows: 0..<1).scalars[0] == CacheFixtures.feature(0, 0))
    }

    @Test func gzipCompressedCacheReadsTheSame() throws {
        let dir = TemporaryFolder()
        let plain = dir.fileURL("plain.h5"), zipped = dir.fileURL("zipped.h5")
        let provenance = CacheFixtures.provenance()
        try CacheFixtures.write(plain, provenance: provenance, split: CacheFixtures.split(rows: 500))
        try CacheFixtures.write(zipped, provenance: provenance, split: CacheFixtures.split(rows: 500),
                                options: .init(compression: .gzip(level: 4, shuffle: true), syncEachBatch: false))
        #expect(try FeatureCacheReader(url: zipped).features("train").scalars
                == FeatureCacheReader(url: plain).features("train").scalars)
    }

    @Test func inspectorSummarisesFileAndJournals() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("inspect.h5")
        let provenance = CacheFixtures.provenance(dtype: .f16)
        try CacheFixtures.write(url, provenance: provenance, split: CacheFixtures.split("train", rows: 200))
        let pending = try FeatureCacheWriter(url: url, provenance: provenance, split: CacheFixtures.split("test", rows: 100))
        try CacheFixtures.append(pending, rows: 0..<40, batch: 20)
        pending.close()
        let text = try CacheInspector.describe(url)
        #expect(text.contains("dtype f16, feature_dim 16, token cls"))
        #expect(text.contains("train  rows 200, committed 200, 3 classes, attributes angle, width"))
        #expect(text.contains("inspect.h5.test.journal: split test, about 40 of 100 rows journaled"))
        #expect(text.contains("model facebook/dinov2-small"))
    }

    @Test func shardPlanTilesBalanced() {
        for rows in [0, 1, 2, 7, 10, 1000, 60001] {
            for count in 1...7 {
                let ranges = (0..<count).map { ShardPlan.range(shard: $0, of: count, rows: rows) }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == rows)
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                let sizes = ranges.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1)
            }
        }
        #expect(ShardPlan.range(shard: 1, of: 3, rows: 10) == 4..<7)
        #expect(ShardPlan.shardFileName(for: "dinov2.h5", shard: 0, of: 3) == "dinov2.shard-1-of-3.h5")
    }
}
