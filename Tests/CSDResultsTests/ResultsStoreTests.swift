import CSDTestSupport
import Foundation
import Testing
@testable import CSDResults

@Suite struct ResultsStoreTests {
    @Test func roundTripsRowsAndSkipsATornLastLine() throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ResultsStore(directory: dir)
        let rows = Array(SampleRows.sweep().prefix(3))
        for row in rows { try store.append(row) }
        #expect(try store.read().rows == rows)
        #expect(try store.read().isClean)

        // A writer killed mid-line: half of a row's JSON, no newline.
        let half = try ResultsStore.encode(SampleRows.row(method: "csd", labels: 500, seed: 2)).prefix(120)
        let handle = try FileHandle(forWritingTo: store.fileURL)
        try handle.seekToEnd()
        try handle.write(contentsOf: half)
        try handle.close()

        let torn = try store.read()
        #expect(torn.rows == rows)
        #expect(torn.tornLastLine?.utf8.count == 120)
        #expect(torn.damagedLines.isEmpty)
        #expect(torn.problems.count == 1)
        #expect(try store.finishedRunIDs() == Set(rows.map(\.runID)))

        // The next append cuts the torn fragment off instead of gluing onto it.
        let next = SampleRows.row(method: "supervised", labels: 10, seed: 0)
        try store.append(next)
        let repaired = try store.read()
        #expect(repaired.rows == rows + [next])
        #expect(repaired.isClean)
        let text = try String(contentsOf: store.fileURL, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 4)
        #expect(text.hasSuffix("}\n"))
    }

    @Test func aCompleteRowMissingOnlyItsNewlineIsKept() throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ResultsStore(directory: dir)
        let first = SampleRows.row(method: "csd", labels: 10, seed: 0)
        try ResultsStore.encode(first).write(to: store.fileURL)  // no "\n": killed between the two
        #expect(try store.read().rows == [first])
        let second = SampleRows.row(method: "csd", labels: 10, seed: 1)
        try store.append(second)
        #expect(try store.read().rows == [first, second])
    }

    @Test func damagedMiddleLinesAndBlankLinesAreSkipped() throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ResultsStore(directory: dir)
        let a = SampleRows.row(method: "csd", labels: 10, seed: 0)
        let b = SampleRows.row(method: "csd", labels: 10, seed: 1)
        var data = try ResultsStore.encode(a)
        data.append(contentsOf: Array("\n{\"not\": \"a row\"}\n\n".utf8))
        data.append(try ResultsStore.encode(b))
        data.append(0x0A)
        try data.write(to: store.fileURL)
        let readout = try store.read()
        #expect(readout.rows == [a, b])
        #expect(readout.damagedLines == [2])
        #expect(readout.tornLastLine == nil)
    }

    @Test func aMissingFileIsAnEmptySweep() throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ResultsStore(directory: dir.appendingPathComponent("not-yet"))
        #expect(try store.read().rows.isEmpty)
        #expect(try store.finishedRunIDs().isEmpty)
    }

    @Test func rowsAreOneSnakeCaseLineAndNaNSurvives() throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ResultsStore(directory: dir)
        var row = SampleRows.row(method: "knn", labels: 10, seed: 0, options: ["note": "a\nb/c"])
        row.finalTestError = .nan
        try store.append(row)
        let text = try String(contentsOf: store.fileURL, encoding: .utf8)
        #expect(text.filter { $0 == "\n" }.count == 1)
        #expect(text.contains("\"best_test_error\":"))
        #expect(text.contains("\"final_test_error\":\"NaN\""))
        #expect(text.contains("\"validation_chosen_test_error\"") == false)  // nil is omitted
        let back = try #require(try store.read().rows.first)
        #expect(back.finalTestError.isNaN)
        #expect(back.options == row.options)
    }

    @Test func finishedRunIDsListEveryAppendedRun() throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ResultsStore(directory: dir)
        let rows = SampleRows.sweep(methods: ["csd"])
        for row in rows { try store.append(row) }
        let finished = try store.finishedRunIDs()
        #expect(finished.count == rows.count)
        #expect(finished.contains("probe-csd-nall-s2"))
        #expect(!finished.contains("probe-supervised-n10-s0"))
    }

    @Test func aTornLineLongerThanOneReadChunkIsCutWhole() throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ResultsStore(directory: dir)
        let first = SampleRows.row(method: "csd", labels: 10, seed: 0)
        try store.append(first)
        // A 20 kB row (long option text) torn after 12 kB: the repair reads back over chunks.
        let long = SampleRows.row(method: "csd", labels: 25, seed: 0,
                                  options: ["note": String(repeating: "x", count: 20_000)])
        let handle = try FileHandle(forWritingTo: store.fileURL)
        try handle.seekToEnd()
        try handle.write(contentsOf: try ResultsStore.encode(long).prefix(12_000))
        try handle.close()
        #expect(try store.read().tornLastLine?.utf8.count == 12_000)
        try store.append(long)
        let readout = try store.read()
        #expect(readout.rows == [first, long])
        #expect(readout.isClean)
    }

    @Test func concurrentAppendsNeverInterleave() async throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ResultsStore(directory: dir)
        // Each task opens the file itself, as separate worker processes would; flock serialises.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<6 {
                group.addTask {
                    for i in 0..<20 {
                        try store.append(SampleRows.row(method: "csd", labels: 10 + i, seed: worker))
                    }
                }
            }
            try await group.waitForAll()
        }
        let readout = try store.read()
        #expect(readout.isClean)
        #expect(Set(readout.rows.map(\.runID)).count == 120)
    }
}
