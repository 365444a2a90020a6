import CSDTestSupport
import Foundation
import Testing
@testable import CSDResults

@Suite struct ResultsMergeTests {
    @Test func mergeDeduplicatesByRunIDAndCopiesSubsets() throws {
        let root = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let shardA = root.appendingPathComponent("shard-0"), shardB = root.appendingPathComponent("shard-1")
        let merged = root.appendingPathComponent("merged")
        let rows = SampleRows.sweep(methods: ["csd"])  // 24 rows
        // Overlapping shards: A holds the first 16, B the last 16 (8 in both).
        for row in rows.prefix(16) { try ResultsStore(directory: shardA).append(row) }
        for row in rows.suffix(16) { try ResultsStore(directory: shardB).append(row) }
        for (shard, seeds) in [(shardA, 0...2), (shardB, 0...2)] {
            try FileManager.default.createDirectory(at: shard.appendingPathComponent("subsets"),
                                                    withIntermediateDirectories: true)
            for s in seeds { try Data("[1,2,3]".utf8).write(to: shard.appendingPathComponent("subsets/seed-\(s).json")) }
        }

        let report = try ResultsMerge.merge(shards: [shardA, shardB], into: merged)
        #expect(report.rowsRead == 32)
        #expect(report.rowsWritten == 24)
        #expect(report.duplicates == 8)
        #expect(report.subsetFilesCopied == 3)
        let back = try ResultsStore(directory: merged).read()
        #expect(back.isClean)
        #expect(Set(back.rows.map(\.runID)) == Set(rows.map(\.runID)))
        #expect(back.rows.count == 24)
        #expect(FileManager.default.fileExists(atPath: merged.appendingPathComponent("subsets/seed-2.json").path))

        // Merging again changes nothing: every row is already there.
        let again = try ResultsMerge.merge(shards: [shardA, shardB], into: merged)
        #expect(again.rowsWritten == 24)
        #expect(again.duplicates == 32)
        #expect(try ResultsStore(directory: merged).read().rows == back.rows)
    }

    @Test func mergeIntoOneOfTheShardsKeepsItsRowsFirst() throws {
        let root = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let a = root.appendingPathComponent("a"), b = root.appendingPathComponent("b")
        let x = SampleRows.row(method: "csd", labels: 10, seed: 0)
        let y = SampleRows.row(method: "csd", labels: 25, seed: 0)
        var yOther = y
        yOther.bestTestError = 0.99  // a second copy of the same run: the first seen wins
        try ResultsStore(directory: a).append(x)
        try ResultsStore(directory: a).append(y)
        try ResultsStore(directory: b).append(yOther)
        let report = try ResultsMerge.merge(shards: [a, b], into: a)
        #expect(report.duplicates == 1)
        #expect(try ResultsStore(directory: a).read().rows == [x, y])
    }
}
