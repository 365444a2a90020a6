import CSDTestSupport
import CSDFeatureStore
import CSDHDF5
import CSDProbe
import CSDResults
import CSDTensor
import Foundation
import Testing

/// A cache as a user writes it with h5py from features of another tool: train/features,
/// train/labels, test/features, test/labels and nothing else (no provenance, no class names,
/// no index, contiguous data sets without chunks or checksums), as numpy's default types.
enum MinimalCache {
    /// Gaussian clusters as in `ClusterCache`, features of `featureType`, labels of `labelType`.
    static func write(to url: URL, classes: Int = 4, train: Int = 200, test: Int = 100, dim: Int = 8,
                      featureType: HDF5ElementType = .float64, labelType: HDF5ElementType = .int64,
                      labels: ((String, Int) -> Int)? = nil, omit: String? = nil) throws {
        var rng = RandomStream(seed: 3)
        let centres = Tensor.randomNormal([classes, dim], std: 2, using: &rng)
        let file = try HDF5File(creating: url)
        for (split, rows) in [("train", train), ("test", test)] {
            let group = try file.createGroup(split)
            let y = (0..<rows).map { labels?(split, $0) ?? $0 % classes }
            var x = [Double]()
            for i in 0..<rows { for j in 0..<dim { x.append(Double(centres[flat: (i % classes) * dim + j] + 0.3 * rng.normal())) } }
            if omit != "\(split)/features" {
                let features = try group.createDataset("features", type: featureType, shape: [rows, dim], options: .contiguous)
                try x.withUnsafeBytes { try features.writeRows($0, as: .float64, at: 0) }
            }
            if omit != "\(split)/labels" {
                let dataset = try group.createDataset("labels", type: labelType, shape: [rows], options: .contiguous)
                try dataset.writeRows(y.map { Int64($0) }, at: 0)
            }
        }
        try file.close()
    }
}

struct CacheInputTests {
    @Test(arguments: [(HDF5ElementType.float64, HDF5ElementType.int64), (.float32, .int32), (.float16, .uint8)])
    func aMinimalCacheIsProbedEndToEnd(_ types: (HDF5ElementType, HDF5ElementType)) throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("minimal.h5")
        try MinimalCache.write(to: url, featureType: types.0, labelType: types.1)
        let features = try HDF5File(opening: url).openGroup("train").openDataset("features")
        #expect(try features.chunkShape == nil && !(features.hasChecksum))

        let reader = try FeatureCacheReader(url: url)
        #expect(!reader.hasProvenance && reader.splitNames == ["test", "train"])
        #expect(try reader.indices("test") == Array(0..<100))
        let data = try ProbeData(url: url)
        #expect(data.classNames == ["0", "1", "2", "3"])
        #expect(data.provenance.modelID == "unknown" && data.provenance.weightsSHA256 == "unknown")
        #expect(data.dimension == 8 && data.trainLabels.count == 200 && data.testLabels.count == 100)

        let plan = SweepPlan(methods: [.supervised, .knn], labels: [20], seeds: [0], epochs: 5, options: ProbeTests.smallOptions())
        let out = dir.fileURL("sweep")
        let rows = try SweepRunner(data: data, plan: plan, directory: out, parallelRuns: 1).run()
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { $0.cache["model_id"] == "unknown" && $0.cache["dataset_id"] == "unknown" && $0.cache["matmul_precision"] == "unknown" })
        // The tokens arrived intact: the clusters are separable (kNN), training learns (chance is 0.75).
        #expect(rows.first { $0.method == "knn" }!.bestTestError <= 0.05, "\(rows.map(\.bestTestError))")
        #expect(rows.allSatisfy { $0.bestTestError <= 0.5 }, "\(rows.map(\.bestTestError))")
        try ResultsReport.redraw(out)
        let summary = try String(contentsOf: out.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(summary.contains("unknown"), "\(summary)")
        #expect(try CacheVerifier.verify(url).contains("OK: test 100 rows, train 200 rows"))
        #expect(try CacheInspector.describe(url).contains("minimal schema (no schema_version: provenance unknown), feature_dim 8"))
    }

    @Test func classNamesComeFromTheLabelsOnlyWhenEveryClassOccurs() throws {
        let dir = TemporaryFolder()
        let stray = dir.fileURL("stray.h5")
        try MinimalCache.write(to: stray, labels: { split, row in split == "test" && row == 7 ? 99 : row % 4 })
        #expect { _ = try ProbeData(url: stray) } throws: {
            "\($0)".contains("stray.h5") && "\($0)".contains("the largest is 99 but only 5 distinct labels occur (class 4 has no sample)")
        }
        let negative = dir.fileURL("negative.h5")
        try MinimalCache.write(to: negative, labels: { split, row in split == "train" && row == 3 ? -1 : row % 4 })
        #expect { _ = try ProbeData(url: negative) } throws: { "\($0)".contains("train/labels row 3 is -1") }
    }

    @Test func aMissingDataSetIsNamed() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("nolabels.h5")
        try MinimalCache.write(to: url, omit: "test/labels")
        #expect { _ = try ProbeData(url: url) } throws: {
            "\($0)".contains("nolabels.h5") && "\($0)".contains("split \"test\" has no labels dataset")
        }
        let empty = dir.fileURL("empty.h5")
        try HDF5File(creating: empty).close()
        #expect { _ = try ProbeData(url: empty) } throws: {
            "\($0)".contains("empty.h5") && "\($0)".contains("train/features, train/labels, test/features, test/labels")
        }
    }

    @Test func aFlippedBitInTheFeaturesIsAnErrorNamingTheDataSetAndRows() throws {
        let dir = try ClusterCache.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("c.h5")
        try ClusterCache.write(to: url)
        let stored = try FeatureCacheReader(url: url).features("train")[flat: 5 * 16 + 3]
        try #require(try BitRot.flip(stored, in: url))
        #expect { _ = try ProbeData(url: url) } throws: {
            "\($0)" == "\(url.path): train/features rows 0..<400: corrupt data: a chunk fails its Fletcher32 checksum "
                + "(the file changed after it was written; extract it again)"
        }
    }
}
