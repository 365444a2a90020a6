import Foundation

/// The runs of one curve: same backbone mode, method and swept options, over label counts and
/// seeds. A row of the summary tables and a line of the plot.
public struct ResultGroup: Sendable {
    /// `probe` or `finetune` (the raw `backbone` field).
    public let backbone: String
    public let method: String
    /// The options that tell this group apart from others of the same backbone and method,
    /// sorted by name. Empty unless the sweep varied an option.
    public let options: [SweptOption]
    /// When more than one option was swept (an ablation: one option changed at a time), the value
    /// most runs of this backbone and method share for each swept option; empty otherwise.
    public let reference: [SweptOption]
    /// The runs, per label column.
    public let runs: [LabelColumn: [RunResult]]

    /// "frozen" / "trainable", as the paper names the backbone modes.
    public var backboneMode: String { RunResult.backboneMode(backbone) }

    /// "csd", or "csd (beta=0.1, ...)" when options are swept.
    public var methodLabel: String {
        options.isEmpty ? method : "\(method) (\(optionsLabel))"
    }

    /// "beta=0.1, lr=0.001", or "" when no option is swept. In an ablation only the options that
    /// differ from the reference values, and "reference" for the group that has them all.
    public var optionsLabel: String {
        if isReference { return "reference" }
        let shown = reference.isEmpty ? options : options.filter { !reference.contains($0) }
        return shown.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
    }

    /// In an ablation, the group whose options are all the reference values.
    public var isReference: Bool { !reference.isEmpty && options.allSatisfy(reference.contains) }

    /// "class_prior=uniform, hidden=512, ...": the reference values, "" outside an ablation.
    public var referenceLabel: String {
        reference.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
    }

    public var columns: [LabelColumn] { runs.keys.sorted() }

    /// Statistics of a metric over the seeds of one column; nil when the column has no run (or
    /// the metric is missing in every run, as the validation-chosen error can be). Non-finite
    /// values (a run without evaluations stores NaN) are left out rather than poisoning the mean.
    public func statistics(_ column: LabelColumn, _ metric: (RunResult) -> Double?) -> SeedStatistics? {
        SeedStatistics((runs[column] ?? []).compactMap(metric).filter(\.isFinite))
    }

    /// Where the column sits on a labeled-samples axis: the requested count, or for `all` the
    /// number of labels actually used (the smallest, if runs disagree, for a stable answer).
    public func labeledSamples(_ column: LabelColumn) -> Int? {
        if let count = column.count { return count }
        return runs[column]?.map(\.labels).min()
    }
}

/// One option value that distinguishes a group (e.g. `beta` = `0.1`).
public struct SweptOption: Hashable, Sendable {
    public let name: String
    public let value: String

    public init(name: String, value: String) { self.name = name; self.value = value }
}

/// Splits rows into `ResultGroup`s in a fixed, readable order.
public enum ResultGrouping {
    /// Methods in the order the paper discusses them; others follow alphabetically.
    static let methodOrder = ["csd", "supervised", "linear", "knn"]
    /// Frozen before trainable, like the paper's figure panels.
    static let backboneOrder = ["probe", "finetune"]

    /// Groups `rows` by (backbone, method, swept options).
    ///
    /// An option counts as swept when two runs of the same backbone, method, label column and
    /// seed disagree on it: options that change only with the label count (a labeled batch of
    /// min(n, 64)) or the seed would otherwise split every column into its own group.
    public static func groups(_ rows: [RunResult]) -> [ResultGroup] {
        var swept: [String: Set<String>] = [:]  // per backbone+method
        var seen: [String: [String: String]] = [:]  // cell key -> option name -> first value
        var optionNames: [String: Set<String>] = [:]
        for row in rows {
            let base = baseKey(row)
            optionNames[base, default: []].formUnion(row.options.keys)
        }
        for row in rows {
            let base = baseKey(row)
            let cell = "\(base)\u{1}\(row.labelColumn)\u{1}\(row.seed)"
            var first = seen[cell] ?? [:]
            for name in optionNames[base] ?? [] {
                let value = row.options[name] ?? ""
                if let earlier = first[name] {
                    if earlier != value { swept[base, default: []].insert(name) }
                } else {
                    first[name] = value
                }
            }
            seen[cell] = first
        }

        // With several swept options, each one's most common value (over runs; ties to the
        // smaller value, for a stable answer) is the reference the groups are labelled against.
        var valueCounts: [String: [String: [String: Int]]] = [:]  // base -> option -> value -> runs
        for row in rows {
            let base = baseKey(row)
            guard let names = swept[base], names.count > 1 else { continue }
            for name in names { valueCounts[base, default: [:]][name, default: [:]][row.options[name] ?? "", default: 0] += 1 }
        }
        let reference = valueCounts.mapValues { options in
            options.keys.sorted().map { name in
                let counts = options[name]!
                // max(by:) keeps the first of equal maxima: the smallest value, as the keys are sorted.
                return SweptOption(name: name, value: counts.keys.sorted().max { counts[$0]! < counts[$1]! }!)
            }
        }

        struct Key: Hashable { let backbone: String, method: String, options: [SweptOption] }
        var buckets: [Key: [LabelColumn: [RunResult]]] = [:]
        for row in rows {
            let names = (swept[baseKey(row)] ?? []).sorted()
            let key = Key(backbone: row.backbone, method: row.method,
                          options: names.map { SweptOption(name: $0, value: row.options[$0] ?? "") })
            buckets[key, default: [:]][row.labelColumn, default: []].append(row)
        }
        let groups = buckets.map { key, runs in
            ResultGroup(backbone: key.backbone, method: key.method, options: key.options,
                        reference: reference["\(key.backbone)\u{1}\(key.method)"] ?? [],
                        runs: runs.mapValues { $0.sorted { ($0.seed, $0.runID) < ($1.seed, $1.runID) } })
        }
        return groups.sorted { a, b in
            let ka = (rank(a.backbone, backboneOrder), a.backbone, rank(a.method, methodOrder), a.method)
            let kb = (rank(b.backbone, backboneOrder), b.backbone, rank(b.method, methodOrder), b.method)
            if ka != kb { return ka < kb }
            // The reference first, then the changes from it.
            return (a.isReference ? 0 : 1, a.optionsLabel) < (b.isReference ? 0 : 1, b.optionsLabel)
        }
    }

    private static func baseKey(_ row: RunResult) -> String { "\(row.backbone)\u{1}\(row.method)" }

    private static func rank(_ value: String, _ order: [String]) -> Int {
        order.firstIndex(of: value) ?? order.count
    }
}
