import Foundation

/// Redraws a results folder's reports (results.csv, summary.md, error_vs_labels.svg) from its
/// results.jsonl: what `probe` does at the end of a sweep and after `merge`.
public enum Reports {
    public static func write(directory: URL) throws {
        let rows = try ResultsStore(directory: directory).read().rows
        let title = rows.first.map { "\($0.cache["model_id"] ?? "?") on \($0.cache["dataset_id"] ?? "?")" } ?? "no runs"
        try ResultsReport.write(rows, to: directory, title: title)
    }
}

extension ResultsStore {
    /// Joins shard folders' results into `destination` (duplicates by run_id dropped).
    public static func merge(_ shards: [URL], into destination: URL) throws {
        _ = try ResultsMerge.merge(shards: shards, into: destination)
    }
}
