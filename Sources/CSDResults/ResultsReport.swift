import CSDSystem
import Foundation

/// Writes the human-facing views of a sweep next to its results.jsonl: `results.csv`,
/// `summary.md` and `error_vs_labels.svg`. Each file is replaced whole (temporary file + rename),
/// so a report being rewritten after every run is never seen half written.
public enum ResultsReport {
    public static let csvName = "results.csv"
    public static let summaryName = "summary.md"
    public static let plotName = "error_vs_labels.svg"

    /// Writes the three files for `rows` into `directory`; returns their URLs.
    @discardableResult
    public static func write(_ rows: [RunResult], to directory: URL, title: String) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let files: [(String, String)] = [
            (csvName, ResultsTable.csv(rows)),
            (summaryName, ResultsSummary.markdown(rows)),
            (plotName, ErrorPlot.svg(rows, title: title)),
        ]
        return try files.map { name, text in
            let url = directory.appendingPathComponent(name)
            try AtomicFile.replace(url, with: Data(text.utf8))
            return url
        }
    }

    /// Redraws a results folder's reports from its results.jsonl: what `probe` does at the end
    /// of a sweep and after `merge`, and `finetune` after each run.
    public static func redraw(_ directory: URL) throws {
        let rows = try ResultsStore(directory: directory).read().rows
        let title = rows.first.map { "\($0.cache["model_id"] ?? "?") on \($0.cache["dataset_id"] ?? "?")" } ?? "no runs"
        try write(rows, to: directory, title: title)
    }
}
