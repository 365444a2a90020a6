import CSDTestSupport
import CSDFeatureStore
import CSDTensor
import Foundation
import Testing

/// Simulated crashes: a writer dropped without `finish()` is a process killed between batches;
/// a truncated or scribbled journal tail is one killed (or powered off) inside a write.
@Suite struct FeatureCacheCrashSafetyTests {
    let provenance = CacheFixtures.provenance()

    private func records(_ writer: FeatureCacheWriter) -> URL {
        writer.journalURL.appendingPathComponent("records.bin")
    }

    private func size(_ url: URL) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int
    }

    @Test func resumesAfterATornWriteWithNoRowLostOrDuplicated() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("torn.h5"), reference = dir.fileURL("reference.h5")
        let split = CacheFixtures.split(rows: 700)
        try CacheFixtures.write(reference, provenance: provenance, split: split)

        var writer: FeatureCacheWriter? = try FeatureCacheWriter(url: url, provenance: provenance, split: split)
        try CacheFixtures.append(writer!, rows: 0..<320, batch: 64)
        let journal = records(writer!)
        writer = nil  // killed between batches

        // Killed inside the next write: half a record landed.
        let recordBytes = try size(journal) / 320
        let handle = try FileHandle(forWritingTo: journal)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(repeating: 0x5A, count: recordBytes / 2))
        try handle.close()

        let resumed = try FeatureCacheWriter(url: url, provenance: provenance, split: split)
        #expect(resumed.committedRows == 320)
        #expect(resumed.nextRow == 320 && resumed.remainingRows == 320..<700)
        #expect(resumed.discardedJournalBytes == recordBytes / 2)
        #expect(try size(journal) == 320 * recordBytes)
        try CacheFixtures.append(resumed, rows: resumed.remainingRows, batch: 100)
        try resumed.finish()

        #expect(try CacheFixtures.contents(of: url) == CacheFixtures.contents(of: reference))
        #expect(try FeatureCacheReader(url: url).indices("train") == Array(0..<700))
    }

    @Test func aCorruptRecordAndEverythingAfterItIsDropped() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("crc.h5")
        let split = CacheFixtures.split(rows: 100)
        var writer: FeatureCacheWriter? = try FeatureCacheWriter(url: url, provenance: provenance, split: split)
        try CacheFixtures.append(writer!, rows: 0..<50, batch: 10)
        let journal = records(writer!)
        writer = nil
        let recordBytes = try size(journal) / 50
        // A power loss may leave garbage inside the last unsynced batch: flip a byte of record 45.
        var data = try Data(contentsOf: journal)
        data[45 * recordBytes + 20] ^= 0xFF
        try data.write(to: journal)

        let resumed = try FeatureCacheWriter(url: url, provenance: provenance, split: split)
        #expect(resumed.committedRows == 45)
        #expect(resumed.discardedJournalBytes == 5 * recordBytes)
        try CacheFixtures.append(resumed, rows: resumed.remainingRows)
        try resumed.finish()
        let reader = try FeatureCacheReader(url: url)
        #expect(try reader.indices("train") == Array(0..<100))
        #expect(try reader.features("train", rows: 45..<46).scalars[3] == CacheFixtures.feature(45, 3))
    }

    /// Records whose CRC matches but that cannot be the journal's next row (a duplicated record,
    /// as a hostile or spliced journal holds): the valid prefix ends there, so no row reaches the
    /// cache twice or out of order.
    @Test func aDuplicatedRecordEndsTheValidPrefix() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("dup.h5")
        let split = CacheFixtures.split(rows: 20)
        var writer: FeatureCacheWriter? = try FeatureCacheWriter(url: url, provenance: provenance, split: split)
        try CacheFixtures.append(writer!, rows: 0..<10)
        let journal = records(writer!)
        writer = nil
        let data = try Data(contentsOf: journal), recordBytes = data.count / 10
        let record = { (r: Int) in data[(r * recordBytes)..<((r + 1) * recordBytes)] }
        try (data.prefix(6 * recordBytes) + record(5) + record(6) + record(7)).write(to: journal)

        let resumed = try FeatureCacheWriter(url: url, provenance: provenance, split: split)
        #expect(resumed.committedRows == 6 && resumed.discardedJournalBytes == 3 * recordBytes)
        let one = [Float](repeating: 1, count: 16)
        let error = #expect(throws: FeatureCacheError.self) {
            try one.withUnsafeBufferPointer {
                try resumed.append(indices: [7], labels: [0], features: $0, attributes: ["width": [1], "angle": [1]])
            }
        }
        #expect(error?.description.contains("indices must be the next source rows 6..<7 in order") == true)
        try CacheFixtures.append(resumed, rows: resumed.remainingRows)
        try resumed.finish()
        #expect(try FeatureCacheReader(url: url).indices("train") == Array(0..<20))
    }

    @Test func anExistingCompleteFileIsUntouchedWhileALaterSplitIsWrittenAndKilled() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("keep.h5")
        try CacheFixtures.write(url, provenance: provenance, split: CacheFixtures.split("train", rows: 400))
        let before = try CacheFixtures.fileBytes(url)

        var writer: FeatureCacheWriter? = try FeatureCacheWriter(url: url, provenance: provenance,
                                                                 split: CacheFixtures.split("test", rows: 150))
        try CacheFixtures.append(writer!, rows: 0..<100, batch: 50)
        writer = nil  // killed: finish never runs

        #expect(try CacheFixtures.fileBytes(url) == before)
        let reader = try FeatureCacheReader(url: url)
        #expect(reader.splitNames == ["train"])
        #expect(try reader.rows("train") == 400)

        let resumed = try FeatureCacheWriter(url: url, provenance: provenance, split: CacheFixtures.split("test", rows: 150))
        #expect(resumed.committedRows == 100)
        #expect(try CacheFixtures.fileBytes(url) == before)
        try CacheFixtures.append(resumed, rows: resumed.remainingRows)
        try resumed.finish()
        let after = try FeatureCacheReader(url: url)
        #expect(after.splitNames == ["test", "train"])
        #expect(try after.features("train").scalars == reader.features("train").scalars)
        #expect(try after.indices("test") == Array(0..<150))
    }

    @Test func aCompleteSplitIsReportedAndAStaleJournalRemoved() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("done.h5")
        let split = CacheFixtures.split(rows: 64)
        // Killed after the rename but before the journal was deleted: keep a copy of it.
        let writer = try FeatureCacheWriter(url: url, provenance: provenance, split: split)
        try CacheFixtures.append(writer, rows: 0..<64)
        let saved = dir.fileURL("saved.journal")
        try FileManager.default.copyItem(at: writer.journalURL, to: saved)
        try writer.finish()
        try FileManager.default.moveItem(at: saved, to: writer.journalURL)
        let before = try CacheFixtures.fileBytes(url)

        let again = try FeatureCacheWriter(url: url, provenance: provenance, split: split)
        #expect(again.isSplitComplete)
        #expect(again.remainingRows.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: again.journalURL.path))
        #expect(throws: FeatureCacheError.self) {
            try again.append(indices: [0], labels: [0], features: Tensor(zeros: [1, 16]),
                             attributes: ["width": [0], "angle": [0]])
        }
        try again.finish()
        #expect(try CacheFixtures.fileBytes(url) == before)
    }

    @Test func aJournalKilledWhileBeingCreatedStartsOverAndAForeignHeaderIsRefused() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("new.h5")
        let split = CacheFixtures.split(rows: 10)
        let journal = dir.fileURL("new.h5.train.journal")
        // Killed between mkdir and the header's rename.
        try FileManager.default.createDirectory(at: journal, withIntermediateDirectories: false)
        try Data("{".utf8).write(to: journal.appendingPathComponent("header.json.tmp"))
        var writer: FeatureCacheWriter? = try FeatureCacheWriter(url: url, provenance: provenance, split: split)
        #expect(writer!.committedRows == 0)
        writer = nil
        // A header this build cannot read is not silently thrown away.
        try Data(#"{"format":"csd-feature-journal","version":2}"#.utf8).write(to: journal.appendingPathComponent("header.json"))
        let error = #expect(throws: FeatureCacheError.self) { try FeatureCacheWriter(url: url, provenance: provenance, split: split) }
        #expect(error?.description.contains("header.json cannot be read") == true)
        let fresh = try FeatureCacheWriter(url: url, provenance: provenance, split: split, options: .init(overwrite: true))
        try CacheFixtures.append(fresh, rows: 0..<10)
        try fresh.finish()
        #expect(try FeatureCacheReader(url: url).rows("train") == 10)
    }

    @Test func aSecondWriterOnTheSameOutputIsRefused() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("busy.h5")
        let first = try FeatureCacheWriter(url: url, provenance: provenance, split: CacheFixtures.split(rows: 10))
        let error = #expect(throws: FeatureCacheError.self) {
            try FeatureCacheWriter(url: url, provenance: provenance, split: CacheFixtures.split("test", rows: 10))
        }
        #expect(error == .busy(path: url.path))
        first.close()
        _ = try FeatureCacheWriter(url: url, provenance: provenance, split: CacheFixtures.split("test", rows: 10))
    }

    @Test func finishBeforeAllRowsIsRefused() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("early.h5")
        let writer = try FeatureCacheWriter(url: url, provenance: provenance, split: CacheFixtures.split(rows: 100))
        try CacheFixtures.append(writer, rows: 0..<30)
        let error = #expect(throws: FeatureCacheError.self) { try writer.finish() }
        #expect(error == .incompleteSplit(path: url.path, split: "train", committedRows: 30, rows: 100, rowRange: nil))
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test func badBatchesAreRefusedWithoutTouchingTheJournal() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("bad.h5")
        let writer = try FeatureCacheWriter(url: url, provenance: provenance, split: CacheFixtures.split(rows: 4))
        let row = [Float](repeating: 1, count: 16)
        func append(_ features: [Float], labels: [Int] = [0], attributes: [String: [Float]] = ["width": [1], "angle": [2]]) throws {
            try features.withUnsafeBufferPointer {
                try writer.append(indices: Array(0..<labels.count), labels: labels, features: $0, attributes: attributes)
            }
        }
        #expect(throws: FeatureCacheError.self) { try append(row + [1]) }  // not B x D
        #expect(throws: FeatureCacheError.self) { try append(row, attributes: ["width": [1]]) }
        #expect(throws: FeatureCacheError.self) { try append(row, labels: [3]) }  // 3 classes
        var nan = row
        nan[5] = .nan
        let error = #expect(throws: FeatureCacheError.self) { try append(nan) }
        #expect(error?.description.contains("column 5") == true)
        #expect(throws: FeatureCacheError.self) { try append(Array(repeating: row, count: 5).flatMap { $0 }, labels: [0, 0, 0, 0, 0],
                                                             attributes: ["width": [1, 1, 1, 1, 1], "angle": [1, 1, 1, 1, 1]]) }
        #expect(writer.committedRows == 0)
        try append(row)
        #expect(writer.committedRows == 1)
    }
}
