import CSDTestSupport
import CSDFeatureStore
import CSDTensor
import Foundation
import Testing

/// Runs only on request: `CSD_STORE_SAMPLE_DIR=<dir>` writes sample caches for
/// tools/check_cache.py; `CSD_STORE_BENCH=1` times the 60000 x 384 workload (best with
/// `swift test -c release`).
@Suite struct FeatureCacheManualTests {
    static let sampleDirectory = ProcessInfo.processInfo.environment["CSD_STORE_SAMPLE_DIR"]
    static let benchmark = ProcessInfo.processInfo.environment["CSD_STORE_BENCH"] == "1"

    @Test(.enabled(if: sampleDirectory != nil))
    func writeSampleCaches() throws {
        let dir = URL(fileURLWithPath: Self.sampleDirectory!, isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for dtype in FeatureDType.allCases {
            let url = dir.appendingPathComponent("sample-\(dtype.rawValue).h5")
            try? FileManager.default.removeItem(at: url)
            let provenance = CacheFixtures.provenance(dtype: dtype, dim: 384)
            try CacheFixtures.write(url, provenance: provenance, split: CacheFixtures.split("train", rows: 600))
            try CacheFixtures.write(url, provenance: provenance, split: CacheFixtures.split("test", rows: 100, attributes: []))
        }
        let shard = dir.appendingPathComponent("sample-shard.h5")
        try? FileManager.default.removeItem(at: shard)
        try CacheFixtures.write(shard, provenance: CacheFixtures.provenance(dim: 384), split: CacheFixtures.split("train", rows: 600),
                                rowRange: ShardPlan.range(shard: 1, of: 3, rows: 600))
        print(try CacheInspector.describe(dir.appendingPathComponent("sample-f16.h5")))
        print(try CacheInspector.describe(shard))
    }

    @Test(.enabled(if: benchmark))
    func time60000x384() throws {
        let dir = TemporaryFolder()
        let n = 60000, dim = 384, batch = 256
        let provenance = CacheFixtures.provenance(dim: dim)
        let split = FeatureSplitSpec(name: "train", rows: n, classNames: (0..<10).map { "\($0)" })
        let features = Tensor((0..<(batch * dim)).map { Float($0 % 1013) / 17 }, shape: [batch, dim])
        let labels = (0..<batch).map { $0 % 10 }

        func run(_ name: String, sync: Bool) throws -> (append: Double, finish: Double, read: Double) {
            let url = dir.fileURL(name)
            let writer = try FeatureCacheWriter(url: url, provenance: provenance, split: split,
                                                options: .init(syncEachBatch: sync))
            let clock = ContinuousClock()
            let t0 = clock.now
            var start = 0
            while start < n {
                let b = min(batch, n - start)
                let batchFeatures = b == batch ? features : Tensor(Array(features.scalars[0..<(b * dim)]), shape: [b, dim])
                try writer.append(indices: Array(start..<(start + b)), labels: Array(labels[0..<b]), features: batchFeatures)
                start += b
            }
            let t1 = clock.now
            try writer.finish()
            let t2 = clock.now
            let reader = try FeatureCacheReader(url: url)
            let all = try reader.features("train")
            let t3 = clock.now
            #expect(all.shape == [n, dim])
            func s(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
            return (s(t1 - t0), s(t2 - t1), s(t3 - t2))
        }
        for round in 0..<3 {
            let plain = try run("nosync-\(round).h5", sync: false)
            let synced = try run("sync-\(round).h5", sync: true)
            print(String(format: "round %d: append %.3f s (no fsync) / %.3f s (fsync per batch), finish %.3f s, read all %.3f s",
                         round, plain.append, synced.append, plain.finish, plain.read))
        }
    }
}
