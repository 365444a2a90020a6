@testable import CSDFinetune
import CSDData
import CSDFeatureStore
import CSDHDF5
import CSDTestSupport
import Foundation
import Testing

/// What `--cache` refuses before training: a cache without provenance, and damaged tokens.
struct ReferenceCacheTests {
    static let dataset = "synthetic:?train=30&test=10&size=16"
    static let dim = 8

    static func feature(_ row: Int, _ column: Int) -> Float { 1 + Float(row * dim + column) / 1024 }

    /// The train split of `dataset` as an extract cache of weights "w" would hold it.
    static func writeCache(_ url: URL, dataset: any Dataset) throws {
        let split = try dataset.split("train")
        let provenance = CacheProvenance(modelID: "tiny", weightsSHA256: "w", token: "cls", preprocessing: "{}",
                                         datasetID: dataset.id, datasetFingerprint: dataset.fingerprint, toolVersion: "test",
                                         dtype: .f32, featureDim: dim)
        let writer = try FeatureCacheWriter(url: url, provenance: provenance,
                                            split: FeatureSplitSpec(name: "train", rows: split.count, classNames: split.classNames),
                                            options: .init(syncEachBatch: false))
        let rows = split.count
        let features = (0..<(rows * dim)).map { feature($0 / dim, $0 % dim) }
        try features.withUnsafeBufferPointer {
            try writer.append(indices: Array(0..<rows), labels: try split.labels(), features: $0)
        }
        try writer.finish()
    }

    static func tokens(_ url: URL, _ dataset: any Dataset) throws -> ReferenceTokens {
        try ReferenceTokens(path: url.path, dataset: dataset, split: "train", rows: 30, weights: "w", dimension: dim)
    }

    @Test func aCacheWithoutProvenanceIsRefusedSayingWhy() throws {
        let dir = TemporaryFolder()
        let dataset = try DatasetRegistry.open(Self.dataset)
        let url = dir.fileURL("minimal.h5")
        do {
            let file = try HDF5File(creating: url)
            let train = try file.createGroup("train")
            try train.createDataset("features", type: .float32, shape: [30, Self.dim], options: .contiguous)
                .writeRows([Float](repeating: 1, count: 30 * Self.dim), at: 0)
            try train.createDataset("labels", type: .int64, shape: [30], options: .contiguous).writeRows([Int64](repeating: 0, count: 30), at: 0)
        }
        #expect { _ = try Self.tokens(url, dataset) } throws: {
            "\($0)".hasPrefix("\(url.path): the cache records no provenance") && "\($0)".contains("--cache needs a cache written by extract")
        }
    }

    @Test func aFlippedBitInTheTokensIsAnErrorNamingTheDataSetAndRows() throws {
        let dir = TemporaryFolder()
        let dataset = try DatasetRegistry.open(Self.dataset)
        let url = dir.fileURL("tokens.h5")
        try Self.writeCache(url, dataset: dataset)
        #expect(try Self.tokens(url, dataset).rows([4]).scalars == (0..<Self.dim).map { Self.feature(4, $0) })
        try #require(try BitRot.flip(Self.feature(17, 5), in: url))
        #expect { _ = try Self.tokens(url, dataset) } throws: {
            "\($0)" == "\(url.path): train/features rows 0..<30: corrupt data: a chunk fails its Fletcher32 checksum "
                + "(the file changed after it was written; extract it again)"
        }
    }
}
