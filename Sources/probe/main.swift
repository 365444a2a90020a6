import CSDCLI
import CSDMethod
import CSDProbe
import CSDResults
import CSDTensor
import Foundation

// Phase two, frozen backbone: the content-style heads and the baselines on cached tokens.
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Train content-style heads and baselines on cached tokens, over label counts and seeds.",
        subcommands: [Sweep.self, Merge.self, Report.self],
        defaultSubcommand: Sweep.self)
}

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a sweep (the default subcommand).",
        discussion: """
        Options of the method are given as name=value arguments (defaults in brackets): \
        hidden [512], style_dim [32], disc_hidden [256], reconstruction [cosine|mse], \
        decoder_content [predicted|label_when_known], class_prior [uniform|labeled], \
        disc_codes [updated|step] (the codes the discriminators train on: the updated encoder's, or the \
        generator step's, one encoder forward less), disc_steps [1], \
        w_ce [1], w_rec [1], w_c [0.1], w_s [0.1], standardize [true], lr [0.001], disc_lr [0.001], \
        unlabeled_batch [256], labeled_batch [64], knn_k [auto: chosen on the validation subset from \
        1, 3, 5, 10, 20, 50, or without one capped by the smallest labeled class count]. A restarted \
        sweep skips the runs already in <out>/results.jsonl.
        """)

    @Option(help: "A TOML file with any of the settings below (cache, methods, labels, seeds, epochs, parallel, shard, out) and an [options] table; command-line values win.")
    var config: String?
    @Option(help: "Feature cache written by extract (needs train and test splits).") var cache: String?
    @Option(help: "Comma-separated methods: csd, supervised, linear, knn. [csd,supervised]") var methods: String?
    @Option(help: "Comma-separated labeled-sample counts, or all. [10,25,50,100,250,500,1000,all]") var labels: String?
    @Option(help: "Comma-separated seeds. [0,1,2]") var seeds: String?
    @Option(help: "Passes over the unlabeled pool per run. [30]") var epochs: Int?
    @Option(help: "Runs trained at the same time (default: one per thread).") var parallel: Int?
    @Option(help: "Run every n-th cell only: shard k of n (1-based); join with `probe merge`.") var shard: String?
    @Option(name: .customLong("validation-per-class"), help: "Labeled train rows per class held out for validation, disjoint from every labeled subset and the unlabeled pool; 0 for none. [auto: 10, at most a tenth of the train split]")
    var validationPerClass: String?
    @Option(help: "Output folder for results.jsonl, results.csv, summary.md, error_vs_labels.svg.") var out: String?
    @Argument(help: "Method options as name=value.") var settings: [String] = []
    @OptionGroup var threading: ThreadOptions
    @OptionGroup var logging: LoggingOptions

    /// Command line, then the config file, then the defaults.
    struct Resolved {
        var cache: String, methods: String, labels: String, seeds: String, epochs: Int, parallel: Int?
        var shard: String?, out: String, settings: [String], validationPerClass: String
    }

    func resolved() throws -> Resolved {
        let file = try config.map { path -> ConfigFile in
            do { return try ConfigFile(path: path) } catch { throw ValidationError("\(error)") }
        }
        if let file {
            let known: Set<String> = ["cache", "methods", "labels", "seeds", "epochs", "parallel", "shard", "out",
                                      "validation_per_class"]
            for (key, _) in file.entries where !known.contains(key) && !key.hasPrefix("options.") {
                throw ValidationError("\(file.path): unknown setting '\(key)' (known: \(known.sorted().joined(separator: ", ")), and an [options] table)")
            }
        }
        func text(_ cli: String?, _ key: String, _ fallback: String?) -> String? { cli ?? file?[key]?.description ?? fallback }
        func number(_ cli: Int?, _ key: String) throws -> Int? {
            if let cli { return cli }
            guard let value = file?[key] else { return nil }
            guard case .integer(let n) = value else { throw ValidationError("\(file!.path): '\(key)' must be an integer") }
            return n
        }
        guard let cache = text(self.cache, "cache", nil) else { throw ValidationError("missing --cache (or cache = \"...\" in the config)") }
        guard let out = text(self.out, "out", nil) else { throw ValidationError("missing --out (or out = \"...\" in the config)") }
        let fromFile = (file?.table("options") ?? []).map { "\($0.key)=\($0.value)" }
        return Resolved(cache: cache, methods: text(methods, "methods", "csd,supervised")!,
                        labels: text(labels, "labels", "10,25,50,100,250,500,1000,all")!,
                        seeds: text(seeds, "seeds", "0,1,2")!, epochs: try number(epochs, "epochs") ?? 30,
                        parallel: try number(parallel, "parallel"), shard: text(shard, "shard", nil), out: out,
                        settings: fromFile + settings,
                        validationPerClass: text(validationPerClass, "validation_per_class", "auto")!)
    }

    func plan() throws -> SweepPlan {
        let r = try resolved()
        let methods = try r.methods.split(separator: ",").map { name -> TrainingMethod in
            guard let m = TrainingMethod(rawValue: String(name)) else {
                throw ValidationError("unknown method '\(name)' (known: \(TrainingMethod.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return m
        }
        let labels = try r.labels.split(separator: ",").map { text -> Int? in
            if text == "all" { return nil }
            guard let n = Int(text), n > 0 else { throw ValidationError("--labels: '\(text)' is not a positive count or all") }
            return n
        }
        let seeds = try r.seeds.split(separator: ",").map { text -> Int in
            guard let s = Int(text), s >= 0 else { throw ValidationError("--seeds: '\(text)' is not a non-negative integer") }
            return s
        }
        guard r.epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        var options = MethodOptions()
        for setting in r.settings {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("'\(setting)' is not name=value") }
            do { try options.set(parts[0], parts[1]) } catch { throw ValidationError("\(error)") }
        }
        var plan = SweepPlan(methods: methods, labels: labels, seeds: seeds, epochs: r.epochs, options: options)
        if r.validationPerClass != "auto" {
            guard let v = Int(r.validationPerClass), v >= 0 else {
                throw ValidationError("--validation-per-class: '\(r.validationPerClass)' is not auto or a count >= 0")
            }
            plan.validationPerClass = v
        }
        if let shard = r.shard {
            let p = shard.split(separator: "/").compactMap { Int($0) }
            guard p.count == 2, p[1] >= 1, (1...p[1]).contains(p[0]) else { throw ValidationError("--shard must be k/n, got \(shard)") }
            plan.shard = (p[0] - 1, p[1])
        }
        return plan
    }

    func validate() throws { _ = try plan() }

    func run() throws {
        threading.apply()
        let logger = logging.bootstrap(label: "probe")
        var plan = try plan()
        let r = try resolved()
        let cache = r.cache
        let data = try ProbeData(url: URL(fileURLWithPath: cache))
        if r.validationPerClass == "auto" {
            plan.validationPerClass = LabelSubsets.defaultValidationPerClass(trainRows: data.trainLabels.count, classes: data.classes)
        }
        logger.info("cache \(cache): \(data.trainLabels.count) train / \(data.testLabels.count) test tokens of dimension \(data.dimension), \(data.classes) classes")
        let directory = URL(fileURLWithPath: r.out)
        let runner = try SweepRunner(data: data, plan: plan, directory: directory,
                                     parallelRuns: r.parallel ?? Threads.count)
        let cells = plan.cells.count
        let progress = ProgressReporter(label: "sweep", total: cells, alreadyDone: 0, unit: "runs", quiet: logging.quiet)
        let started = Date()
        let new = try runner.run { row, _, _ in
            logger.debug("\(row.runID): best \(row.bestTestError), final \(row.finalTestError), \(row.wallSeconds) s")
            progress.advance(by: 1)
        }
        progress.finish()
        logger.info("\(new.count) runs in \(String(format: "%.1f", Date().timeIntervalSince(started))) s (\(cells - new.count) already done)")
        try Reports.write(directory: directory)
        print(try String(contentsOf: directory.appendingPathComponent("summary.md"), encoding: .utf8))
        print("plot: \(directory.appendingPathComponent("error_vs_labels.svg").path)")
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Join the results of sweep shards into one folder and redraw its reports.")
    @Option(help: "The merged folder.") var out: String
    @Argument(help: "Shard folders.") var shards: [String]

    func run() throws {
        try ResultsStore.merge(shards.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: out))
        try Reports.write(directory: URL(fileURLWithPath: out))
        print("merged \(shards.count) folders into \(out)")
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Redraw results.csv, summary.md and error_vs_labels.svg of a results folder.")
    @Argument(help: "A results folder.") var folder: String

    func run() throws {
        try Reports.write(directory: URL(fileURLWithPath: folder))
        print(try String(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent("summary.md"), encoding: .utf8))
    }
}

Probe.main()
