import CSDFeatureStore
import CSDMethod
import CSDResults
import CSDSystem
import CSDTensor
import Foundation

/// A grid of runs over methods, label counts and seeds on one cache, run in parallel (one run
/// per core, each single-threaded: small heads use a core better alone than split in two),
/// resumable (finished cells in results.jsonl are skipped) and shardable across machines.
public struct SweepPlan: Sendable {
    public var methods: [TrainingMethod]
    /// nil = all labels.
    public var labels: [Int?]
    public var seeds: [Int]
    public var epochs: Int
    /// One or more option sets (an ablation); every cell runs under each.
    public var optionSets: [MethodOptions]
    /// Labeled train rows per class held out for validation (0: none); see `LabelSubsets.holdOut`.
    public var validationPerClass: Int
    /// 0-based shard and count: this process runs every `count`-th cell.
    public var shard: (index: Int, count: Int)?

    public init(methods: [TrainingMethod], labels: [Int?], seeds: [Int], epochs: Int, options: MethodOptions,
                validationPerClass: Int = 0) {
        self.methods = methods; self.labels = labels; self.seeds = seeds; self.epochs = epochs; self.optionSets = [options]
        self.validationPerClass = validationPerClass
    }

    /// Every cell, in a stable order (option sets, methods, label counts, seeds); kNN has no
    /// epochs. Cells that would repeat a run (a baseline under options it ignores) appear once.
    public var cells: [RunSpec] {
        var out: [RunSpec] = []
        var seen = Set<String>()
        for options in optionSets { for m in methods { for n in labels { for s in seeds {
            let spec = RunSpec(method: m, labels: n, seed: s, options: options, epochs: m == .knn ? 0 : epochs,
                               validationPerClass: validationPerClass)
            if seen.insert(spec.runID).inserted { out.append(spec) }
        } } } }
        guard let shard else { return out }
        return out.enumerated().filter { $0.offset % shard.count == shard.index }.map(\.element)
    }
}

public final class SweepRunner {
    public let data: ProbeData
    public let plan: SweepPlan
    public let directory: URL
    public let parallelRuns: Int
    public let store: ResultsStore
    /// Evaluation caches (`--eval-cache`): every run's test error on each, after every epoch.
    public let evaluations: [EvaluationCache]
    /// `--save-codes`: each run's codes of every evaluated test split in `codes/<run>.h5`.
    public let saveCodes: Bool
    /// The disentanglement report: after each run, on every evaluated test split.
    public let disentanglement: Bool

    /// Checks the plan against the data before any training: a label count larger than the
    /// train split is refused.
    public init(data: ProbeData, plan: SweepPlan, directory: URL, parallelRuns: Int, evaluations: [EvaluationCache] = [],
                saveCodes: Bool = false, disentanglement: Bool = true) throws {
        let held = LabelSubsets.holdOut(labels: data.trainLabels, classes: data.classes,
                                        perClass: plan.validationPerClass, seed: 0).validation.count
        for case let n? in plan.labels where n > data.trainLabels.count - held || n < 1 {
            throw OptionError("--labels \(n): the train split has \(data.trainLabels.count) samples"
                              + (held > 0 ? ", \(held) of them held out for validation" : ""))
        }
        for case let n? in plan.labels where n < data.classes {
            throw OptionError("--labels \(n): fewer labels than the \(data.classes) classes (class-balanced subsets need at least one per class)")
        }
        self.data = data
        self.plan = plan
        self.directory = directory
        self.parallelRuns = max(1, parallelRuns)
        self.evaluations = evaluations
        self.saveCodes = saveCodes
        self.disentanglement = disentanglement
        var names = Set<String>()
        for e in evaluations where !names.insert(e.name).inserted {
            throw OptionError("--eval-cache: two evaluation caches are named '\(e.name)'; name them NAME=PATH")
        }
        // Before any run: a folder that refuses files is one error naming it, not the first write's.
        try OutputFolder.prepare(directory)
        store = ResultsStore(directory: directory)
    }

    /// Runs the cells not yet in results.jsonl; `onResult` is called (serially) after each run.
    @discardableResult
    public func run(onResult: @escaping (RunResult, _ done: Int, _ total: Int) -> Void = { _, _, _ in }) throws -> [RunResult] {
        let finished = try store.finishedRunIDs()
        // Longest first (csd trains four networks, the baselines one), so that short runs fill
        // the lanes at the end.
        let cost: [TrainingMethod: Int] = [.csd: 0, .supervised: 1, .linear: 2, .knn: 3]
        let todo = plan.cells.filter { !finished.contains($0.runID) }
            .enumerated().sorted { (cost[$0.element.method]!, $0.offset) < (cost[$1.element.method]!, $1.offset) }.map(\.element)
        try writeSubsets()
        // The tokens' own scores do not depend on the run: computed once, recorded in every row.
        let tokenScores = disentanglement && !todo.isEmpty ? Threads.withLimit(Threads.count) {
            TestDomain.all(data, evaluations).flatMap { $0.tokenScores(data, standardize: plan.optionSets[0].standardize) }
        } : []
        let lock = NSLock()
        var results: [RunResult] = []
        var firstError: Error?
        var next = 0, done = 0
        let workers = min(parallelRuns, max(todo.count, 1))
        // Lanes still training: when a lane runs out of cells, its core goes to the others.
        var activeLanes = workers
        let totalThreads = Threads.count
        let share = { () -> Int in
            lock.lock()
            defer { lock.unlock() }
            return max(1, totalThreads / max(1, activeLanes))
        }
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                lock.lock()
                guard next < todo.count, firstError == nil else {
                    activeLanes -= 1
                    lock.unlock()
                    return
                }
                let spec = todo[next]
                next += 1
                lock.unlock()
                let started = Date()
                let outcome = ProbeTrainer.run(spec, data: data, evaluations: evaluations, threads: share)
                var row = makeResult(spec, outcome, seconds: Date().timeIntervalSince(started))
                if disentanglement && !outcome.codes.isEmpty {
                    row.disentanglement = tokenScores + Threads.withLimit(share()) {
                        outcome.codes.flatMap { $0.scores(classes: data.classes) }
                    }
                }
                lock.lock()
                do {
                    if saveCodes && !outcome.codes.isEmpty {
                        try CodesFile.write(outcome.codes.map(\.file), runID: spec.runID, method: spec.method.rawValue,
                                            classNames: data.classNames, results: directory)
                    }
                    try store.append(row)
                    results.append(row)
                    done += 1
                    onResult(row, done, todo.count)
                } catch {
                    firstError = firstError ?? error
                }
                lock.unlock()
            }
        }
        if let firstError { throw firstError }
        return results
    }

    func makeResult(_ spec: RunSpec, _ outcome: ProbeTrainer.Outcome, seconds: Double) -> RunResult {
        var options = spec.options.values
        if let k = outcome.chosenK { options["knn_k_used"] = "\(k)" }
        if spec.validationPerClass > 0 { options["validation_per_class"] = "\(spec.validationPerClass)" }
        let p = data.provenance
        var row = RunResult(
            runID: spec.runID, method: spec.method.rawValue, labels: outcome.labeledIndices.count,
            labelsRequested: spec.labels.map(String.init) ?? "all", seed: spec.seed, options: options, epochs: spec.epochs,
            errors: outcome.errors,
            wallSeconds: seconds, toolVersion: ToolVersion.current,
            cache: ["path": data.url.path, "model_id": p.modelID, "dataset_id": p.datasetID, "token": p.token,
                    "weights_sha256": p.weightsSHA256, "feature_dim": "\(p.featureDim)", "dtype": p.dtype.rawValue,
                    "matmul_precision": data.hasProvenance ? p.matmulPrecision.rawValue : FeatureCacheReader.unknown],
            subsetFile: "subsets/seed-\(spec.seed).json", trainRows: data.trainLabels.count,
            testRows: data.testLabels.count, backbone: "probe", timestamp: ISO8601DateFormatter().string(from: Date()))
        if !evaluations.isEmpty {
            row.evaluations = zip(evaluations, outcome.domainErrors).map { e, errors in
                DomainEvaluation(name: e.name, cache: e.cacheRecord, testRows: e.labels.count, errors: errors)
            }
        }
        return row
    }

    /// subsets/seed-<s>.json: the labeled indices of every label count of the grid.
    func writeSubsets() throws {
        for seed in plan.seeds {
            let (validation, rest) = LabelSubsets.holdOut(labels: data.trainLabels, classes: data.classes,
                                                          perClass: plan.validationPerClass, seed: seed)
            var subsets: [String: [Int]] = [:]
            for n in plan.labels {
                subsets[n.map(String.init) ?? "all"] = n == nil ? [] :
                    LabelSubsets.subset(of: rest, labels: data.trainLabels, classes: data.classes, size: n, seed: seed)
            }
            if !validation.isEmpty { subsets["validation"] = validation }
            try SubsetFiles.record(subsets, seed: seed, results: directory)
        }
    }
}
