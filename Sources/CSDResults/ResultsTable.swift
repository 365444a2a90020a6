import Foundation

/// The results as CSV (RFC 4180): one row per run, every field flattened, for spreadsheets and
/// tools that do not read JSON lines.
public enum ResultsTable {
    /// The fixed columns, in schema order; the `cache.<key>` and `opt.<name>` columns (the union
    /// over rows, sorted) go before `test_errors`, which is long and so comes last.
    static let leadingColumns = [
        "run_id", "backbone", "method", "labels", "labels_requested", "seed", "epochs",
        "final_test_error", "best_test_error", "best_epoch", "validation_chosen_test_error",
        "wall_seconds", "train_rows", "test_rows", "subset_file", "tool_version", "timestamp",
    ]

    /// CSV text: a header and one line per row, CRLF line ends as RFC 4180 asks. Numbers use
    /// Swift's shortest round-tripping form; a missing value (no validation split, an option a
    /// method does not have) is an empty field; `test_errors` is one field, `;`-joined.
    public static func csv(_ rows: [RunResult]) -> String {
        let cacheKeys = Set(rows.flatMap(\.cache.keys)).sorted()
        let optionKeys = Set(rows.flatMap(\.options.keys)).sorted()
        let domains = ResultsSummary.domainNames(rows)
        let scoreKeys = disentanglementKeys(rows)
        let header = leadingColumns + cacheKeys.map { "cache.\($0)" } + optionKeys.map { "opt.\($0)" }
            + domains.flatMap { name in domainFields.map { "eval.\(name).\($0)" } }
            + scoreKeys.map { "disentanglement.\($0)" } + ["test_errors"]
        var lines = [header.map(field).joined(separator: ",")]
        for row in rows {
            let fixed: [String] = [
                row.runID, row.backbone, row.method, String(row.labels), row.labelsRequested, String(row.seed),
                String(row.epochs), number(row.finalTestError), number(row.bestTestError), String(row.bestEpoch),
                row.validationChosenTestError.map(number) ?? "", number(row.wallSeconds), String(row.trainRows),
                String(row.testRows), row.subsetFile, row.toolVersion, row.timestamp,
            ]
            var scores: [String: Double] = [:]
            for score in row.disentanglement ?? [] { scores[key(score)] = score.value }
            let values = fixed + cacheKeys.map { row.cache[$0] ?? "" } + optionKeys.map { row.options[$0] ?? "" }
                + domains.flatMap { name in domainValues(row.evaluations?.first { $0.name == name }) }
                + scoreKeys.map { scores[$0].map(number) ?? "" }
                + [row.testErrors.map(number).joined(separator: ";")]
            lines.append(values.map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Per evaluation domain: `eval.<name>.<field>`.
    static let domainFields = ["test_rows", "final_test_error", "best_test_error", "best_epoch",
                               "validation_chosen_test_error"]

    static func domainValues(_ e: DomainEvaluation?) -> [String] {
        guard let e else { return domainFields.map { _ in "" } }
        return [String(e.testRows), number(e.finalTestError), number(e.bestTestError), String(e.bestEpoch),
                e.validationChosenTestError.map(number) ?? ""]
    }

    /// `disentanglement.<domain>.<code>.<target>.<metric>` columns, sorted.
    static func disentanglementKeys(_ rows: [RunResult]) -> [String] {
        Set(rows.flatMap { ($0.disentanglement ?? []).map(key) }).sorted()
    }

    static func key(_ s: DisentanglementScore) -> String { "\(s.domain).\(s.code).\(s.target).\(s.metric)" }

    /// One RFC 4180 field: quoted when it holds a comma, a double quote, CR or LF (or starts or
    /// ends with a space, which some readers would trim), with inner quotes doubled.
    public static func field(_ value: String) -> String {
        let needsQuotes = value.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
            || value.hasPrefix(" ") || value.hasSuffix(" ")
        guard needsQuotes else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func number(_ value: Double) -> String {
        value.isFinite ? "\(value)" : (value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf"))
    }
}
