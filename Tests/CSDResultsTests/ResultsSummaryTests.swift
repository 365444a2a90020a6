import Foundation
import Testing
@testable import CSDResults

@Suite struct ResultsSummaryTests {
    // std is the sample standard deviation (divisor n - 1) over seeds, and 0 for a single seed:
    // the convention of "mean ± std over seeds" in papers, and what numpy's std(ddof=1) and
    // pandas' .std() give, so the notebook prints the same numbers.
    @Test func seedStatisticsUseTheSampleStd() throws {
        let s = try #require(SeedStatistics([0.10, 0.12, 0.14]))
        #expect(s.count == 3)
        #expect(abs(s.mean - 0.12) < 1e-12)
        #expect(abs(s.std - 0.02) < 1e-12)  // population std would be 0.01633
        let one = try #require(SeedStatistics([0.3]))
        #expect(one.std == 0)
        #expect(SeedStatistics([]) == nil)
    }

    @Test func tableCellsAreMeanAndStdInPercent() throws {
        var rows: [RunResult] = []
        for (seed, e) in [0.10, 0.12, 0.14].enumerated() {
            rows.append(SampleRows.row(method: "csd", labels: 10, seed: seed, best: e, final: e + 0.01))
            rows.append(SampleRows.row(method: "supervised", labels: 10, seed: seed, best: 2 * e, final: 2 * e))
            rows.append(SampleRows.row(method: "csd", labels: nil, seed: seed, best: 0.01, final: 0.02))
        }
        // 100 labels has two seeds for csd only: that cell shows its count.
        rows.append(SampleRows.row(method: "csd", labels: 100, seed: 0, best: 0.050, final: 0.05))
        rows.append(SampleRows.row(method: "csd", labels: 100, seed: 1, best: 0.060, final: 0.06))
        let md = ResultsSummary.markdown(rows)
        let lines = md.split(separator: "\n").map(String.init)

        #expect(md.contains("model `facebook/dinov2-small`"))
        #expect(md.contains("dataset `mnist`"))
        #expect(md.contains("token `cls`"))
        #expect(md.contains("11 runs"))
        #expect(md.contains("total wall time 137.5 s (2m 18s)"))

        let header = try #require(lines.first { $0.hasPrefix("| backbone") })
        #expect(header == "| backbone | method | 10 | 100 | all (60000) |")
        let best = lines.firstIndex { $0.hasPrefix("## Best test error") }!
        let final = lines.firstIndex { $0.hasPrefix("## Final test error") }!
        #expect(best < final)
        let csdBest = lines[best...].first { $0.hasPrefix("| frozen | csd |") }!
        #expect(csdBest == "| frozen | csd | 12.0 ± 2.0 | 5.5 ± 0.7 (2) | 1.0 ± 0.0 |")
        let supBest = lines[best...].first { $0.hasPrefix("| frozen | supervised |") }!
        #expect(supBest == "| frozen | supervised | 24.0 ± 4.0 | — | — |")
        let csdFinal = lines[final...].first { $0.hasPrefix("| frozen | csd |") }!
        #expect(csdFinal == "| frozen | csd | 13.0 ± 2.0 | 5.5 ± 0.7 (2) | 2.0 ± 0.0 |")
        // No validation split in these rows: no third table.
        #expect(!md.contains("validation-chosen"))
    }

    @Test func onlySweptOptionsSplitRows() {
        var rows: [RunResult] = []
        for n in [10, 100] {
            for beta in ["0.1", "1"] {
                for seed in 0..<2 {
                    // labeled_batch follows the label count: it must not become a grouping key.
                    rows.append(SampleRows.row(method: "csd", labels: n, seed: seed,
                                               options: ["beta": beta, "labeled_batch": String(min(n, 64)), "lr": "0.001"]))
                }
            }
            rows.append(SampleRows.row(method: "supervised", labels: n, seed: 0,
                                       options: ["labeled_batch": String(min(n, 64))]))
        }
        let groups = ResultGrouping.groups(rows)
        #expect(groups.map(\.methodLabel) == ["csd (beta=0.1)", "csd (beta=1)", "supervised"])
        #expect(groups.allSatisfy { $0.columns == [LabelColumn(count: 10), LabelColumn(count: 100)] })
        let md = ResultsSummary.markdown(rows)
        #expect(md.contains("| backbone | method | options | 10 | 100 |"))
        #expect(md.contains("| frozen | csd | beta=0.1 |"))
        #expect(md.contains("| frozen | supervised |  |"))
    }

    @Test func anAblationLabelsEachRowByWhatItChangesFromTheReference() {
        // One option changed at a time from w_c=0.1, w_s=0.1, reconstruction=cosine.
        let settings: [[String: String]] = [["w_c": "0.1", "w_s": "0.1", "reconstruction": "cosine"],
                                            ["w_c": "0", "w_s": "0.1", "reconstruction": "cosine"],
                                            ["w_c": "1", "w_s": "0.1", "reconstruction": "cosine"],
                                            ["w_c": "0.1", "w_s": "0", "reconstruction": "cosine"],
                                            ["w_c": "0.1", "w_s": "0.1", "reconstruction": "mse"]]
        let rows = settings.flatMap { options in
            (0..<3).map { SampleRows.row(method: "csd", labels: 100, seed: $0, options: options) }
        }
        let groups = ResultGrouping.groups(rows)
        #expect(groups.map(\.optionsLabel) == ["reference", "reconstruction=mse", "w_c=0", "w_c=1", "w_s=0"])
        #expect(groups[0].referenceLabel == "reconstruction=cosine, w_c=0.1, w_s=0.1")
        let md = ResultsSummary.markdown(rows)
        #expect(md.contains("| frozen | csd | w_c=0 |"))
        #expect(md.contains("Reference (frozen csd): reconstruction=cosine, w_c=0.1, w_s=0.1"))
    }

    @Test func labelColumnsSortNumericallyWithAllLast() {
        let columns: [LabelColumn] = [.all, LabelColumn(count: 1000), LabelColumn(count: 25), LabelColumn(count: 250)]
        #expect(columns.sorted().map(\.description) == ["25", "250", "1000", "all"])
        #expect(SampleRows.row(method: "csd", labels: nil, seed: 0).labelColumn == .all)
    }

    @Test func emptyResultsStillRender() {
        #expect(ResultsSummary.markdown([]).contains("No runs yet."))
    }

    @Test func nonFiniteErrorsAreLeftOutOfTheStatistics() {
        let good = SampleRows.row(method: "knn", labels: 10, seed: 0, best: 0.2, final: 0.2)
        var bad = SampleRows.row(method: "knn", labels: 10, seed: 1, best: 0.2, final: 0.2)
        bad.finalTestError = .nan
        let md = ResultsSummary.markdown([good, bad])
        #expect(!md.lowercased().contains("nan"))
        #expect(md.contains("| frozen | knn | 20.0 ± 0.0 |"))  // best: both seeds
        #expect(md.contains("| frozen | knn | 20.0 ± 0.0 (1) |"))  // final: the finite one only
        #expect(md.contains("## Final test error (%), mean ± std over 2 seeds"))
        #expect(!ErrorPlot.svg([good, bad], title: "t").lowercased().contains("nan"))
    }
}
