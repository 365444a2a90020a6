import Foundation

/// The summary's sections for evaluation domains (`--eval-cache`) and the disentanglement report.
extension ResultsSummary {
    /// Evaluation domains in the order runs first list them.
    static func domainNames(_ rows: [RunResult]) -> [String] {
        var names: [String] = []
        for row in rows { for name in row.domainNames where !names.contains(name) { names.append(name) } }
        return names
    }

    /// Per evaluation domain, the home split's tables on the domain's test errors.
    static func domainTables(_ rows: [RunResult]) -> [String] {
        var out: [String] = []
        for domain in domainNames(rows) {
            let domainRows = rows.compactMap { $0.onDomain(domain) }
            let groups = ResultGrouping.groups(domainRows)
            let rowsText = Set(domainRows.map(\.testRows)).sorted().map(String.init).joined(separator: ", ")
            out += ["# Evaluation on `\(domain)` (\(rowsText) test rows)", ""]
            if domainRows.contains(where: { $0.validationChosenTestError != nil }) {
                out += table("`\(domain)`: test error at the evaluation the home validation split chose (%)", groups) {
                    $0.validationChosenTestError
                }
            }
            out += table("`\(domain)`: best test error (%)", groups) { $0.bestTestError }
            out += table("`\(domain)`: final test error (%)", groups) { $0.finalTestError }
        }
        return out
    }

    /// The disentanglement report: per domain, a row per (backbone mode, method, labels, code)
    /// and a column per target; class and two-valued attributes as accuracy (%), the others as
    /// R^2; mean ± std over seeds.
    static func disentanglementTables(_ rows: [RunResult]) -> [String] {
        let scored = rows.filter { !($0.disentanglement ?? []).isEmpty }
        guard !scored.isEmpty else { return [] }
        var domains: [String] = []
        for row in scored {
            for s in row.disentanglement! where !domains.contains(s.domain) { domains.append(s.domain) }
        }
        let codeOrder = ["tokens", "content", "style"]
        var out = ["# Disentanglement: what each code holds", "",
                   "Small probes fitted on half of a domain's test rows and scored on the other half "
                   + "(docs/METHOD.md): class and two-valued attributes as accuracy (%), the other attributes "
                   + "as R^2 (1: read exactly, 0: no better than the mean). `content` is csd's class "
                   + "probabilities and the baselines' logits, `style` csd's style code, `tokens` the "
                   + "standardised cached tokens (a reference, the same in every run). Mean ± std over seeds.", ""]
        for domain in domains {
            var targets: [String] = []
            var metricOf: [String: String] = [:]
            for row in scored {
                for s in row.disentanglement! where s.domain == domain {
                    if !targets.contains(s.target) { targets.append(s.target) }
                    metricOf[s.target] = s.metric
                }
            }
            targets = ["class"].filter(targets.contains) + targets.filter { $0 != "class" }.sorted()
            let header = ["backbone", "method", "labels", "code"]
                + targets.map { metricOf[$0] == "r2" ? "\($0) (R^2)" : "\($0) (acc. %)" }
            out += ["## Domain `\(domain)`", ""]
            out.append("| " + header.map(escape).joined(separator: " | ") + " |")
            out.append("|" + header.indices.map { $0 < 4 ? "---|" : "---:|" }.joined())
            // The tokens' scores do not depend on the run: one row.
            if let reference = scored.first(where: { $0.disentanglement!.contains { $0.domain == domain && $0.code == "tokens" } }) {
                let cells = targets.map { target in
                    cell(reference.disentanglement!.filter { $0.domain == domain && $0.code == "tokens" && $0.target == target })
                }
                out.append("| " + (["—", "—", "—", "tokens"] + cells).map(escape).joined(separator: " | ") + " |")
            }
            for group in ResultGrouping.groups(scored) {
                for column in group.columns {
                    let runs = group.runs[column] ?? []
                    for code in codeOrder where code != "tokens" {
                        let scores = runs.flatMap { $0.disentanglement ?? [] }.filter { $0.domain == domain && $0.code == code }
                        guard !scores.isEmpty else { continue }
                        let cells = targets.map { target in cell(scores.filter { $0.target == target }) }
                        let lead = [group.backboneMode, group.methodLabel, columnTitle(column, [group]), code]
                        out.append("| " + (lead + cells).map(escape).joined(separator: " | ") + " |")
                    }
                }
            }
            out.append("")
        }
        return out
    }

    /// "87.3 ± 1.2" (accuracy, %) or "0.91 ± 0.02" (R^2); "—" without scores.
    static func cell(_ scores: [DisentanglementScore]) -> String {
        guard let stats = SeedStatistics(scores.map(\.value).filter(\.isFinite)), let metric = scores.first?.metric else {
            return "—"
        }
        if metric == "r2" { return String(format: "%.2f ± %.2f", stats.mean, stats.std) }
        return "\(percent(stats.mean)) ± \(percent(stats.std))"
    }
}
