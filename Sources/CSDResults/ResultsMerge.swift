import CSDSystem
import Foundation

/// Joins the results of several sweep folders (shards of one sweep run by different jobs, or a
/// sweep resumed elsewhere) into one folder.
public enum ResultsMerge {
    /// Merges the `results.jsonl` of every folder in `shards` into `destination`'s.
    ///
    /// Rows already in the destination come first, then each shard's in the order given; a runID
    /// seen before is dropped (the first copy wins, so merging twice changes nothing). The
    /// destination file is replaced whole by rename, so a crash leaves the old or the new file,
    /// never a mix. Subset files the rows name (`subset_file`, relative to the sweep folder) are
    /// copied along when the destination lacks them, so every merged row stays reproducible.
    @discardableResult
    public static func merge(shards: [URL], into destination: URL) throws -> Outcome {
        let target = ResultsStore(directory: destination)
        var report = Outcome()
        var seen = Set<String>()
        var merged: [RunResult] = []

        func take(_ rows: [RunResult], from folder: URL) throws {
            for row in rows {
                guard seen.insert(row.runID).inserted else { report.duplicates += 1; continue }
                merged.append(row)
                try copySubset(row.subsetFile, from: folder, to: destination, report: &report)
            }
        }

        let existing = try target.read()
        report.problems += existing.problems.map { "\(destination.path): \($0)" }
        try take(existing.rows, from: destination)
        let destinationPath = destination.standardizedFileURL.path
        for shard in shards where shard.standardizedFileURL.path != destinationPath {
            let readout = try ResultsStore(directory: shard).read()
            report.problems += readout.problems.map { "\(shard.path): \($0)" }
            report.rowsRead += readout.rows.count
            try take(readout.rows, from: shard)
        }
        report.rowsWritten = merged.count

        var data = Data()
        for row in merged {
            data.append(try ResultsStore.encode(row))
            data.append(0x0A)
        }
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        try AtomicFile.replace(target.fileURL, with: data)
        return report
    }

    private static func copySubset(_ relative: String, from folder: URL, to destination: URL,
                                   report: inout Outcome) throws {
        guard !relative.isEmpty, !relative.hasPrefix("/") else { return }
        let source = folder.appendingPathComponent(relative)
        let target = destination.appendingPathComponent(relative)
        let files = FileManager.default
        guard files.fileExists(atPath: source.path), !files.fileExists(atPath: target.path) else { return }
        try files.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try files.copyItem(at: source, to: target)
        report.subsetFilesCopied += 1
    }
}

extension ResultsStore {
    /// Joins shard folders' results into `destination` (duplicates by run_id dropped).
    public static func merge(_ shards: [URL], into destination: URL) throws {
        _ = try ResultsMerge.merge(shards: shards, into: destination)
    }
}
