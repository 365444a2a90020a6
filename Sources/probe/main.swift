import CSDCLI
import CSDDistributed
import CSDMethod
import CSDProbe
import CSDResults
import CSDSystem
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
        1, 3, 5, 10, 20, 50, or without one capped by the smallest labeled class count]. A value with \
        commas is an ablation: w_c=0,0.1,0.3 reconstruction=cosine,mse runs every cell under each of \
        the 6 combinations, and the summary has a row per option set (judge them on the validation \
        error). A restarted sweep skips the runs already in <out>/results.jsonl.
        """)

    @Option(help: "A TOML file with any of the settings below (cache, methods, labels, seeds, epochs, parallel, shard, validation_per_class, out) and an [options] table; command-line values win.",
            transform: { try ConfigFile(path: $0) })
    var config: ConfigFile?
    @Option(help: "Feature cache written by extract (needs train and test splits).") var cache: String?
    @Option(help: "Comma-separated methods: csd, supervised, linear, knn. [csd,supervised]", transform: Self.parseMethods)
    var methods: [TrainingMethod]?
    @Option(help: "Comma-separated labeled-sample counts, or all. [10,25,50,100,250,500,1000,all]", transform: LabelCount.parseList)
    var labels: [Int?]?
    @Option(help: "Comma-separated seeds. [0,1,2]", transform: Self.parseSeeds) var seeds: [Int]?
    @Option(help: "Passes over the unlabeled pool per run. [30]", transform: Self.parsePositive) var epochs: Int?
    @Option(help: "Runs trained at the same time (default: one per thread).", transform: Self.parsePositive) var parallel: Int?
    @Option(help: "Run every n-th cell only: shard k of n (1-based); join with `probe merge`.", transform: Shard.parse)
    var shard: Shard?
    @Option(name: .customLong("validation-per-class"), help: "Labeled train rows per class held out for validation, disjoint from every labeled subset and the unlabeled pool; 0 for none. [auto: 10, at most a tenth of the train split]",
            transform: CountOrAuto.parse)
    var validationPerClass: CountOrAuto?
    @Option(help: "Output folder for results.jsonl, results.csv, summary.md, error_vs_labels.svg.") var out: String?
    @Option(name: .customLong("eval-cache"), parsing: .singleValue,
            help: "Evaluate every run also on the test split of this cache: PATH or NAME=PATH (the domain's name; default: the file name). Repeatable, or comma-separated. Same model, weights, token, preprocessing and class count as --cache; another data set.",
            transform: Self.parseEvalCaches)
    var evalCaches: [[String]] = []
    @Flag(name: .customLong("save-codes"), help: "Write each run's class probabilities and style codes of every evaluated test split to <out>/codes/<run>.h5.")
    var saveCodes = false
    @Flag(name: .customLong("no-disentanglement"), help: "Skip the disentanglement report (read-out probes on the codes after each run).")
    var noDisentanglement = false
    @Argument(help: "Method options as name=value.", transform: Setting.parse) var settings: [Setting] = []
    @OptionGroup var threading: ThreadOptions
    @OptionGroup var logging: LoggingOptions

    // One parser per setting, for its flag and its config-file key alike.
    static let parseMethods: @Sendable (String) throws -> [TrainingMethod] = { try Choice.parseList($0, as: TrainingMethod.self) }
    static let parseSeeds: @Sendable (String) throws -> [Int] = { try Count.parseList($0, atLeast: 0) }
    static let parsePositive: @Sendable (String) throws -> Int = { try Count.parse($0, atLeast: 1) }
    static let text: @Sendable (String) throws -> String = { $0 }
    static let parseEvalCaches: @Sendable (String) throws -> [String] = { try CommaList.parse($0) { $0 } }
    static let parseSwitch: @Sendable (String) throws -> Bool = {
        guard let on = try SwitchOrAuto.parse($0).value else { throw ValidationError("expected true or false, got 'auto'") }
        return on
    }

    /// The sweep asked for: the command line, then the config file, then the defaults.
    struct Request {
        var cache: URL, out: URL, plan: SweepPlan, parallel: Int?, validationPerClass: CountOrAuto
        var evalCaches: [String], saveCodes: Bool, disentanglement: Bool
    }

    func request() throws -> Request {
        let r = try ConfigResolver(file: config, keys: ["cache", "methods", "labels", "seeds", "epochs", "parallel", "shard",
                                                        "validation_per_class", "out", "eval_cache", "save_codes",
                                                        "disentanglement"], tables: ["options"])
        // Comma lists make an ablation: one option set per combination.
        let optionSets = try Setting.grid(r.settings("options", then: settings)).map { set in
            var options = MethodOptions()
            try Setting.apply(set) { try options.set($0, $1) }
            return options
        }
        var plan = SweepPlan(methods: try r.value(methods, "methods", default: [.csd, .supervised], Self.parseMethods),
                             labels: try r.value(labels, "labels", default: [10, 25, 50, 100, 250, 500, 1000, nil], LabelCount.parseList),
                             seeds: try r.value(seeds, "seeds", default: [0, 1, 2], Self.parseSeeds),
                             epochs: try r.value(epochs, "epochs", default: 30, Self.parsePositive), options: optionSets[0])
        plan.optionSets = optionSets
        plan.shard = try r.value(shard, "shard", Shard.parse)?.pair
        return Request(cache: URL(fileURLWithPath: try r.required(cache, "cache", flag: "--cache", Self.text)),
                       out: URL(fileURLWithPath: try r.required(out, "out", flag: "--out", Self.text)), plan: plan,
                       parallel: try r.value(parallel, "parallel", Self.parsePositive),
                       validationPerClass: try r.value(validationPerClass, "validation_per_class", default: .auto, CountOrAuto.parse),
                       evalCaches: try r.value(evalCaches.isEmpty ? nil : evalCaches.flatMap { $0 }, "eval_cache", default: [],
                                               Self.parseEvalCaches),
                       saveCodes: try r.value(saveCodes ? true : nil, "save_codes", default: false, Self.parseSwitch),
                       disentanglement: try r.value(noDisentanglement ? false : nil, "disentanglement", default: true,
                                                    Self.parseSwitch))
    }

    func run() throws {
        let request = try request()
        // A folder that refuses files fails now, not after the cache is read (SweepRunner checks too).
        try OutputFolder.prepare(request.out)
        threading.apply()
        let logger = logging.bootstrap(label: "probe")
        let data = try ProbeData(url: request.cache)
        var plan = request.plan
        plan.validationPerClass = request.validationPerClass.resolved {
            LabelSubsets.defaultValidationPerClass(trainRows: data.trainLabels.count, classes: data.classes)
        }
        logger.info("cache \(request.cache.path): \(data.trainLabels.count) train / \(data.testLabels.count) test tokens of dimension \(data.dimension), \(data.classes) classes")
        let evaluations = try request.evalCaches.map { try EvaluationCache(spec: $0, home: data) }
        for e in evaluations {
            let names = e.classNames == data.classNames ? "" : " (its class names differ from the home cache's; labels are compared by number)"
            logger.info("evaluation '\(e.name)': \(e.url.path), data set \(e.provenance.datasetID), \(e.labels.count) test tokens\(names)")
        }
        let runner = try SweepRunner(data: data, plan: plan, directory: request.out, parallelRuns: request.parallel ?? Threads.count,
                                     evaluations: evaluations, saveCodes: request.saveCodes,
                                     disentanglement: request.disentanglement)
        let cells = plan.cells.count
        let progress = ProgressReporter(label: "sweep", total: cells, alreadyDone: 0, unit: "runs", quiet: logging.quiet)
        let started = Date()
        let new = try runner.run { row, _, _ in
            logger.debug("\(row.runID): best \(row.bestTestError), final \(row.finalTestError), \(row.wallSeconds) s")
            progress.advance(by: 1)
        }
        progress.finish()
        logger.info("\(new.count) runs in \(String(format: "%.1f", Date().timeIntervalSince(started))) s (\(cells - new.count) already done)")
        try ResultsReport.redraw(request.out)
        print(try String(contentsOf: request.out.appendingPathComponent("summary.md"), encoding: .utf8))
        print("plot: \(request.out.appendingPathComponent("error_vs_labels.svg").path)")
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Join the results of sweep shards into one folder and redraw its reports.")
    @Option(help: "The merged folder.") var out: String
    @Argument(help: "Shard folders.") var shards: [String]

    func run() throws {
        try ResultsStore.merge(shards.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: out))
        try ResultsReport.redraw(URL(fileURLWithPath: out))
        print("merged \(shards.count) folders into \(out)")
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Redraw results.csv, summary.md and error_vs_labels.svg of a results folder.")
    @Argument(help: "A results folder.") var folder: String

    func run() throws {
        try ResultsReport.redraw(URL(fileURLWithPath: folder))
        print(try String(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent("summary.md"), encoding: .utf8))
    }
}

LaunchEnvironment(ProcessInfo.processInfo.environment)
    .refuseSeveralProcesses(tool: "probe", instead: "it runs a sweep's cells in parallel itself (--parallel N); over nodes, one sweep shard per process (--shard k/n), then probe merge")
Probe.main()
