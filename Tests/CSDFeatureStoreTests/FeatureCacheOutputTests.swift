import CSDTestSupport
import CSDFeatureStore
import Foundation
import Testing

/// Splits written together (`FeatureCacheOutput`): the file appears only when all are complete.
struct FeatureCacheOutputTests {
    let provenance = CacheFixtures.provenance()

    @Test func theFileAppearsOnlyWhenEverySplitIsCompleteAndARerunContinues() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("both.h5"), reference = dir.fileURL("reference.h5")
        try CacheFixtures.write(reference, provenance: provenance, split: CacheFixtures.split("test", rows: 30))
        try CacheFixtures.write(reference, provenance: provenance, split: CacheFixtures.split("train", rows: 50))

        // train completes, test fails after 10 rows: nothing at the output.
        do {
            let output = try FeatureCacheOutput(url: url, options: .init(syncEachBatch: false))
            try CacheFixtures.append(try output.writer(provenance: provenance, split: CacheFixtures.split("train", rows: 50)), rows: 0..<50)
            let test = try output.writer(provenance: provenance, split: CacheFixtures.split("test", rows: 30))
            try CacheFixtures.append(test, rows: 0..<10)
            #expect(output.journaledSplits == ["train"])
            #expect(throws: FeatureCacheError.self) { try output.finish() }
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))

        let output = try FeatureCacheOutput(url: url, options: .init(syncEachBatch: false))
        let train = try output.writer(provenance: provenance, split: CacheFixtures.split("train", rows: 50))
        #expect(train.committedRows == 50 && train.remainingRows.isEmpty && !train.isSplitComplete)
        let test = try output.writer(provenance: provenance, split: CacheFixtures.split("test", rows: 30))
        #expect(test.nextRow == 10)
        #expect(throws: FeatureCacheError.self) { try output.writer(provenance: provenance, split: CacheFixtures.split("test", rows: 30)) }
        try CacheFixtures.append(test, rows: test.remainingRows)
        try output.finish()
        #expect(try CacheFixtures.contents(of: url) == CacheFixtures.contents(of: reference))
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("both.h5.") }
        #expect(left.isEmpty, "journals or lock left: \(left)")
    }

    @Test func aSecondOutputOrWriterOnTheSameFileIsRefusedWhileOneIsOpen() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("busy.h5")
        let output = try FeatureCacheOutput(url: url)
        _ = try output.writer(provenance: provenance, split: CacheFixtures.split(rows: 5))
        #expect(throws: FeatureCacheError.busy(path: url.path)) { try FeatureCacheOutput(url: url) }
        #expect(throws: FeatureCacheError.busy(path: url.path)) {
            try FeatureCacheWriter(url: url, provenance: provenance, split: CacheFixtures.split("test", rows: 5))
        }
        output.close()
        _ = try FeatureCacheWriter(url: url, provenance: provenance, split: CacheFixtures.split("test", rows: 5))
    }

    @Test func splitsAlreadyInTheFileAreKeptAndNotRebuilt() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("kept.h5")
        try CacheFixtures.write(url, provenance: provenance, split: CacheFixtures.split("train", rows: 20))
        let before = try Data(contentsOf: url)
        do {  // every split complete: no rebuild
            let output = try FeatureCacheOutput(url: url)
            #expect(try output.writer(provenance: provenance, split: CacheFixtures.split("train", rows: 20)).isSplitComplete)
            try output.finish()
        }
        #expect(try Data(contentsOf: url) == before)
        let output = try FeatureCacheOutput(url: url, options: .init(syncEachBatch: false))
        #expect(try output.writer(provenance: provenance, split: CacheFixtures.split("train", rows: 20)).isSplitComplete)
        try CacheFixtures.append(try output.writer(provenance: provenance, split: CacheFixtures.split("test", rows: 8)), rows: 0..<8)
        try output.finish()
        let reader = try FeatureCacheReader(url: url)
        #expect(reader.splitNames == ["test", "train"])
        #expect(try reader.indices("train") == Array(0..<20) && reader.indices("test") == Array(0..<8))
    }

    @Test func aReadOnlyOutputFolderIsOneErrorNamingTheFolder() throws {
        let dir = TemporaryFolder()
        let folder = dir.fileURL("readonly")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        chmod(folder.path, 0o555)
        defer { chmod(folder.path, 0o755) }
        // Root (as CI runs the tests) writes into any folder whatever its mode: nothing to assert.
        // By hand as root: setpriv --reuid=65534 --regid=65534 --clear-groups .build/debug/extract ...
        guard geteuid() != 0 else { return }
        for url in [folder.appendingPathComponent("c.h5"), folder.appendingPathComponent("new/c.h5")] {
            #expect(throws: FeatureCacheError.unwritableFolder(path: folder.path, code: EACCES)) { try FeatureCacheOutput(url: url) }
            #expect(throws: FeatureCacheError.unwritableFolder(path: folder.path, code: EACCES)) {
                try FeatureCacheWriter(url: url, provenance: provenance, split: CacheFixtures.split(rows: 5))
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
