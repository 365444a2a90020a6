import Foundation

/// The results as Markdown tables: one row per curve (backbone mode, method, swept options), one
/// column per label count, "mean ± std" over seeds in percent. The numbers the paper's figures
/// plot, in a form that pastes into an issue or a README.
public enum ResultsSummary {
    public static func markdown(_ rows: [RunResult]) -> String {
        var out = ["# Results", "", headerLine(rows), ""]
        if rows.isEmpty { return (out + ["No runs yet.", ""]).joined(separator: "\n") }
        let groups = ResultGrouping.groups(rows)
        out += table("Best test error (%)", groups) { $0.bestTestError }
        out += table("Final test error (%)", groups) { $0.finalTestError }
        if rows.contains(where: { $0.validationChosenTestError != nil }) {
            out += table("Test error at the validation-chosen evaluation (%)", groups) { $0.validationChosenTestError }
            // What settings are judged on (never the test error).
            out += table("Validation error at the chosen evaluation (%)", groups) { $0.validationErrors?.min() }
        }
        out.append("Cells: mean ± std over seeds, in percent; std is the sample standard deviation "
                   + "(n - 1), 0 for a single seed.")
        for group in groups where group.isReference {
            out += ["", "Reference (\(group.backboneMode) \(group.method)): \(group.referenceLabel); each other row "
                    + "changes the options it names."]
        }
        out.append("")
        out += domainTables(rows)
        out += disentanglementTables(rows)
        return out.joined(separator: "\n")
    }

    /// Provenance of the caches the runs read, the number of runs and the summed wall time.
    static func headerLine(_ rows: [RunResult]) -> String {
        var sources: [String] = []
        for row in rows {
            let source = "model `\(row.cacheField("model_id") ?? "unknown")`, "
                + "dataset `\(row.cacheField("dataset_id") ?? "unknown")`, "
                + "token `\(row.cacheField("token") ?? "unknown")`"
            if !sources.contains(source) { sources.append(source) }
        }
        let cache = sources.isEmpty ? "no cache" : sources.sorted().joined(separator: "; ")
        let seconds = rows.reduce(0) { $0 + $1.wallSeconds }
        return "Cache: \(cache) · \(rows.count) runs · total wall time \(duration(seconds))"
    }

    /// One metric's table, followed by a blank line.
    static func table(_ title: String, _ groups: [ResultGroup], _ metric: (RunResult) -> Double?) -> [String] {
        let columns = Set(groups.flatMap(\.columns)).sorted()
        let showOptions = groups.contains { !$0.options.isEmpty }
        // The number of runs most cells have; a cell averaging another number of values (fewer
        // seeds finished, or a metric missing or NaN in some runs) gets "(n)".
        var counts: [Int: Int] = [:]
        for group in groups {
            for column in columns {
                if let runs = group.runs[column], !runs.isEmpty { counts[runs.count, default: 0] += 1 }
            }
        }
        let usual = counts.max { ($0.value, $0.key) < ($1.value, $1.key) }?.key ?? 0

        var header = ["backbone", "method"] + (showOptions ? ["options"] : [])
        header += columns.map { columnTitle($0, groups) }
        var lines = ["## \(title), mean ± std over \(usual) seed\(usual == 1 ? "" : "s")", ""]
        lines.append("| " + header.map(escape).joined(separator: " | ") + " |")
        lines.append("|" + header.indices.map { $0 < header.count - columns.count ? "---|" : "---:|" }.joined())
        for group in groups {
            var cells = [group.backboneMode, group.method] + (showOptions ? [group.optionsLabel] : [])
            for column in columns {
                guard let stats = group.statistics(column, metric) else { cells.append("—"); continue }
                var cell = "\(percent(stats.mean)) ± \(percent(stats.std))"
                if stats.count != usual { cell += " (\(stats.count))" }
                cells.append(cell)
            }
            lines.append("| " + cells.map(escape).joined(separator: " | ") + " |")
        }
        lines.append("")
        return lines
    }

    /// "10", or for `all` "all (60000)" when every run used the same pool size.
    static func columnTitle(_ column: LabelColumn, _ groups: [ResultGroup]) -> String {
        guard column.isAll else { return column.description }
        let sizes = Set(groups.flatMap { $0.runs[column]?.map(\.labels) ?? [] })
        return sizes.count == 1 ? "all (\(sizes.first!))" : "all"
    }

    /// One decimal, after snapping to 6 decimals: summation order moves a mean by an ulp, which
    /// would flip a value like 14.05 between "14.0" and "14.1"; the notebook does the same, so
    /// both print equal cells.
    static func percent(_ fraction: Double) -> String {
        String(format: "%.1f", (fraction * 100 * 1e6).rounded() / 1e6)
    }

    /// "3723.4 s (1h 02m 03s)".
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        let (h, m, s) = (whole / 3600, whole % 3600 / 60, whole % 60)
        let clock = h > 0 ? String(format: "%dh %02dm %02ds", h, m, s)
            : (m > 0 ? String(format: "%dm %02ds", m, s) : "\(s)s")
        return String(format: "%.1f s", seconds) + " (\(clock))"
    }

    /// A pipe would end the cell early.
    static func escape(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}
