import CSDBackbones
import CSDDistributed
import CSDFeatureStore
import CSDMethod
import CSDResults
import CSDSystem
import CSDTensor
import Foundation
import Logging

/// One `finetune` run: the backbone trained end to end with the heads and objective of probe
/// (the same `TrainingStep`), evaluated on the test split (and the validation subset) after every
/// epoch, checkpointed so that a killed run continues to the same weights, and reported in
/// probe's results.jsonl schema (`backbone: finetune`).
///
/// Stages: `FinetuneRun` prepares (data, model, resume), `trainEpoch` runs the steps of one
/// epoch and its evaluation, `finish` exports the backbone and heads and writes the result row.
///
/// Data-parallel (`group`), every rank trains and evaluates its share in step with the others,
/// and rank 0 alone writes the run's folder, log, checkpoints and results; a run resumes from
/// them with any number of ranks.
public final class FinetuneTrainer {
    /// What one optimiser step measured.
    public struct StepReport: Sendable {
        public let step: Int, epoch: Int, stepsPerEpoch: Int, epochs: Int
        public let loss: Float, ce: Float, reconstruction: Float, adversarialContent: Float, adversarialStyle: Float
        public let discriminator: Float
        public let seconds: Double
        public let peakMemoryMiB: Double
        /// The memory plan's expected peak, next to the measured one.
        public let plannedPeakMiB: Double
        /// Processes sharing the step, and the seconds this one waited for their reductions
        /// after its backward passes (communication the computation did not hide).
        public let ranks: Int
        public let communicationWaitSeconds: Double
        /// Bytes of gradients each rank all-reduced (0 in a job of one).
        public let communicatedBytes: Int
        /// Seconds of the generator's optimiser update (every rank makes the whole update).
        public let updateSeconds: Double
    }

    public let settings: FinetuneSettings
    public let group: ProcessGroup
    let logger: Logger
    let onStep: (StepReport) -> Void
    /// Progress displays for the long phases: standardisation statistics, training (with the
    /// loss terms and a time left that counts the evaluations to come), evaluations.
    let progress: ProgressFactory
    /// Writes the fine-tuned backbone's tokens (the folder of its weights, the model id to
    /// record) before the result row, so that a run killed meanwhile redoes it. The finetune
    /// executable runs extract's pipeline here for `--write-cache`.
    public var exportTokens: ((_ modelFolder: URL, _ modelID: String) throws -> Void)?

    public init(settings: FinetuneSettings, group: ProcessGroup = .single, logger: Logger,
                progress: @escaping ProgressFactory = { _, _, _ in SilentProgress() },
                onStep: @escaping (StepReport) -> Void = { _ in }) {
        self.settings = settings
        self.group = group
        self.logger = logger
        self.progress = progress
        self.onStep = onStep
    }

    /// The run's row, or nil when it stopped early (`stopAfterSteps`) or was already in
    /// results.jsonl.
    @discardableResult
    public func run() throws -> RunResult? {
        try settings.validate()
        let store = ResultsStore(directory: settings.output)
        if try store.finishedRunIDs().contains(settings.runID) {
            logger.info("\(settings.runID) is already in \(store.fileURL.path): nothing to do")
            return nil
        }
        let run = try FinetuneRun(settings: settings, group: group, logger: logger, progress: progress)
        if group.isDistributed {
            logger.info("data-parallel over \(group.size) processes (\(group.localSize) on this machine), \(run.step.communicatedBytes / 1_048_576) MiB of gradients all-reduced per step")
        }
        // Everything is checked: only now does the run get a folder.
        var log: TrainingLog? = nil
        if group.isMain {
            try FileManager.default.createDirectory(at: settings.runFolder, withIntermediateDirectories: true)
            log = try TrainingLog(url: settings.runFolder.appendingPathComponent("train_log.jsonl"))
        }
        var clock = Clock(wallBefore: run.state.wallSeconds)
        let bar = progress("train", run.totalSteps, run.state.step)
        defer { bar.finish() }
        while run.state.epoch < settings.epochs && run.state.step < run.totalSteps {
            guard try trainEpoch(run, log: log, clock: &clock, bar: bar) else { return nil }
        }
        bar.finish()
        return try finish(run, store: store)
    }

    /// Wall time of the run across processes, steps taken by this one, and the seconds an
    /// evaluation row took (for the time left).
    struct Clock {
        let started = Date()
        let wallBefore: Double
        var stepsHere = 0
        var secondsPerEvaluatedRow: Double?
        var wallSeconds: Double { wallBefore + Date().timeIntervalSince(started) }
    }

    /// The rest of the current epoch's steps with the evaluations the schedule asks for, then
    /// the epoch's checkpoint; false when `stopAfterSteps` stopped the process first.
    func trainEpoch(_ run: FinetuneRun, log: TrainingLog?, clock: inout Clock, bar: any ProgressSink) throws -> Bool {
        let s = settings
        if run.state.stepInEpoch == 0 {
            run.state.poolOrder = run.orderRNG.permutation(run.pool.count)
            run.state.labeledCycle = LabeledCycle(order: run.orderRNG.permutation(run.labeled.count))
        }
        while run.state.stepInEpoch < run.stepsPerEpoch && run.state.step < run.totalSteps {
            if let stop = s.stopAfterSteps, clock.stepsHere >= stop { return false }
            let report = try trainStep(run)
            clock.stepsHere += 1
            try log?.append(report)
            onStep(report)
            bar.note(String(format: "loss %.4g (ce %.3g, rec %.3g, adv %.3g/%.3g, disc %.3g)", report.loss, report.ce,
                            report.reconstruction, report.adversarialContent, report.adversarialStyle, report.discriminator))
            bar.expectLater(seconds: evaluationSecondsLeft(run, clock))
            bar.advance(by: 1)
            let epochEnds = run.state.stepInEpoch == run.stepsPerEpoch || run.state.step == run.totalSteps
            if !epochEnds, s.evaluationSchedule.due(step: run.state.step, epoch: run.state.epoch + 1, epochEnd: false) {
                try evaluate(run, clock: &clock)
            }
            if s.checkpointEvery > 0, run.state.step % s.checkpointEvery == 0, !epochEnds { try checkpoint(run, clock: clock) }
        }
        let last = run.state.epoch + 1 == s.epochs || run.state.step == run.totalSteps
        if last || s.evaluationSchedule.due(step: run.state.step, epoch: run.state.epoch + 1, epochEnd: true) {
            try evaluate(run, clock: &clock, wholeTestSplit: last)
        }
        run.state.epoch += 1
        run.state.stepInEpoch = 0
        try checkpoint(run, clock: clock)
        return true
    }

    /// One optimiser step on the next labeled and unlabeled rows; a loss that stops being
    /// finite ends the run before a checkpoint can keep the spoiled weights.
    func trainStep(_ run: FinetuneRun) throws -> StepReport {
        let s = settings, batch = s.options.unlabeledBatch, pool = run.pool
        let started = Date()
        let lb = run.state.labeledCycle.next(min(run.labeled.count, s.options.labeledBatch), of: run.labeled, rng: &run.orderRNG)
        let k = run.state.stepInEpoch
        let ub = s.method == .csd ? run.state.poolOrder[(k * batch)..<min(pool.count, (k + 1) * batch)].map { pool[$0] } : []
        let terms = try run.step.run(labeled: lb, labels: lb.map { run.trainLabels[$0] }, unlabeled: ub, prior: run.prior,
                                     priorRNG: &run.priorRNG)
        guard terms.loss.isFinite && terms.discriminator.isFinite else {
            throw TrainingDiverged(step: run.state.step + 1, term: terms.loss.isFinite ? "discriminators' loss" : "loss",
                                   value: terms.loss.isFinite ? terms.discriminator : terms.loss,
                                   lastCheckpoint: try TrainingCheckpoint.latest(root: run.checkpoints))
        }
        run.state.stepInEpoch += 1
        run.state.step += 1
        return StepReport(step: run.state.step, epoch: run.state.epoch + 1, stepsPerEpoch: run.stepsPerEpoch,
                          epochs: s.epochs, loss: terms.loss, ce: terms.ce, reconstruction: terms.reconstruction,
                          adversarialContent: terms.adversarialContent, adversarialStyle: terms.adversarialStyle,
                          discriminator: terms.discriminator, seconds: Date().timeIntervalSince(started),
                          peakMemoryMiB: PeakMemory.residentMiB(), plannedPeakMiB: run.plan.peakBytes / 1_048_576,
                          ranks: group.size, communicationWaitSeconds: run.step.communicationWait,
                          communicatedBytes: run.step.communicatedBytes, updateSeconds: run.step.updateSeconds)
    }

    /// The test error (of the evaluation rows, or the whole split) and the validation error,
    /// logged and kept in the state.
    func evaluate(_ run: FinetuneRun, clock: inout Clock, wholeTestSplit: Bool = false) throws {
        let started = Date()
        let rows = wholeTestSplit ? Array(0..<run.test.count) : run.evaluationRows
        // The final evaluation keeps the codes of every test split for the disentanglement report.
        let (error, codes) = try run.evaluate(run.test, rows: rows, keepCodes: wholeTestSplit, domain: RunResult.homeDomain,
                                              progress: progress("evaluate", rows.count, 0))
        run.state.testErrors.append(error)
        var line = "step \(run.state.step) (epoch \(run.state.epoch + 1)/\(settings.epochs)): test error "
            + String(format: "%.4f", error) + (rows.count < run.test.count ? " (\(rows.count) rows)" : "")
        run.finalCodes = codes.map { [$0] } ?? []
        var evaluatedRows = rows.count
        for (i, domain) in run.domains.enumerated() {
            let domainRows = wholeTestSplit ? Array(0..<domain.bank.count) : domain.evaluationRows
            let (domainError, domainCodes) = try run.evaluate(domain.bank, rows: domainRows, keepCodes: wholeTestSplit,
                                                              domain: domain.name,
                                                              progress: progress("evaluate \(domain.name)", domainRows.count, 0))
            run.state.domainTestErrors?[i].append(domainError)
            run.finalCodes += domainCodes.map { [$0] } ?? []
            evaluatedRows += domainRows.count
            line += ", \(domain.name) " + String(format: "%.4f", domainError)
        }
        if !run.validation.isEmpty {
            let validationError = try run.errorRate(run.train, rows: run.validation, progress: SilentProgress())
            run.state.validationErrors.append(validationError)
            line += ", validation error \(String(format: "%.4f", validationError))"
        }
        clock.secondsPerEvaluatedRow = Date().timeIntervalSince(started) / Double(evaluatedRows + run.validation.count)
        // The evaluation's buffers (other sizes than a training step's) leave the pool, so that
        // training does not hold both sets.
        StoragePool.shared.releaseCached()
        logger.info("\(line), peak memory \(String(format: "%.0f", PeakMemory.residentMiB())) MiB")
    }

    /// Seconds the evaluations still to come will take, at the measured time per row once one
    /// has run (none is counted before: the time left then covers training only).
    func evaluationSecondsLeft(_ run: FinetuneRun, _ clock: Clock) -> Double {
        let s = settings, total = run.totalSteps, done = run.state.step
        let during: Int
        switch s.evaluationSchedule {
        case .epochs(let n): during = (s.epochs - run.state.epoch - 1) / n
        case .steps(let n): during = (total - 1) / n - done / n
        }
        let domainRows = run.domains.reduce(0) { $0 + $1.evaluationRows.count }
        let domainFinal = run.domains.reduce(0) { $0 + $1.bank.count }
        let rows = Double(max(0, during)) * Double(run.evaluationRows.count + domainRows + run.validation.count)
            + Double(run.test.count + domainFinal + run.validation.count)
        let perRow = clock.secondsPerEvaluatedRow ?? 0
        return rows * perRow
    }

    func checkpoint(_ run: FinetuneRun, clock: Clock) throws {
        try checkRanksInStep(run)
        guard group.isMain else { return }
        run.state.orderRNG = run.orderRNG.snapshot
        run.state.priorRNG = run.priorRNG.snapshot
        run.state.wallSeconds = clock.wallSeconds
        try TrainingCheckpoint.write(root: run.checkpoints, backbone: run.backbone, configJSON: run.configJSON, heads: run.heads,
                                     standardization: run.standardization, optimizers: run.optimizers, state: run.state)
    }

    /// Every rank must hold the same weights: a checkpoint of rank 0 stands for all of them.
    func checkRanksInStep(_ run: FinetuneRun) throws {
        guard group.isDistributed else { return }
        let checksum = run.weightsChecksum
        let (low, high) = group.minMax(Double(checksum))
        guard low == high else {
            throw DistributedError("step \(run.state.step): the ranks' weights differ (rank \(group.rank)'s checksum "
                                   + "\(String(checksum, radix: 16))); the last checkpoint is still good")
        }
    }

    /// The fine-tuned backbone as a model folder with the heads next to it, the exported tokens,
    /// then the result row and the reports (rank 0; the others return the row unwritten).
    func finish(_ run: FinetuneRun, store: ResultsStore) throws -> RunResult {
        guard group.isMain else { return result(run) }
        let s = settings, folder = s.runFolder
        let modelFolder = folder.appendingPathComponent("backbone")
        try TrainingCheckpoint.writeModelFolder(modelFolder, backbone: run.backbone, configJSON: run.configJSON)
        try TrainingCheckpoint.writeHeads(run.heads, standardization: run.standardization,
                                          to: folder.appendingPathComponent(TrainingCheckpoint.headsFile))
        try exportTokens?(modelFolder, "finetune:\(run.reference.id):\(folder.lastPathComponent)")
        let row = result(run)
        if s.saveCodes && !run.finalCodes.isEmpty {
            try CodesFile.write(run.finalCodes.map(\.file), runID: s.runID, method: s.method.rawValue,
                                classNames: run.train.split.classNames, results: s.output)
        }
        var subsets = [s.labels.map(String.init) ?? "all": s.labels == nil ? [] : run.labeled]
        if !run.validation.isEmpty { subsets["validation"] = run.validation }
        try SubsetFiles.record(subsets, seed: s.seed, results: s.output)
        try store.append(row)
        try ResultsReport.redraw(s.output)
        return row
    }

    /// The settings, and the plan and validation size this machine used (they change memory
    /// and time, not the result beyond float summation order).
    func options(_ run: FinetuneRun) -> [String: String] {
        var options = settings.recordedOptions
        options["accumulate_used"] = "\(run.plan.accumulate)"
        options["recompute_used"] = "\(run.plan.recompute)"
        options["validation_rows"] = "\(run.validation.count)"
        options["ranks_used"] = "\(group.size)"
        return options
    }

    func result(_ run: FinetuneRun) -> RunResult {
        let s = settings, state = run.state
        var row = RunResult(
            runID: s.runID, method: s.method.rawValue, labels: run.labeled.count,
            labelsRequested: s.labels.map(String.init) ?? "all", seed: s.seed, options: options(run), epochs: s.epochs,
            errors: ErrorHistory(test: state.testErrors, validation: run.validation.isEmpty ? nil : state.validationErrors),
            wallSeconds: state.wallSeconds, toolVersion: ToolVersion.current,
            cache: ["model_id": run.reference.id, "weights_sha256": run.initialWeights, "dataset_id": run.dataset.id,
                    "dataset_fingerprint": run.dataset.fingerprint, "token": run.backbone.family.imageTokenName,
                    "feature_dim": "\(run.backbone.imageTokenDimension)", "path": s.cache ?? ""],
            subsetFile: "subsets/seed-\(s.seed).json", trainRows: run.train.count, testRows: run.test.count,
            backbone: "finetune", timestamp: ISO8601DateFormatter().string(from: Date()))
        if !run.domains.isEmpty {
            row.evaluations = zip(run.domains, state.domainTestErrors ?? []).map { domain, errors in
                DomainEvaluation(name: domain.name, cache: ["dataset": domain.spec, "dataset_id": domain.dataset.id,
                                                            "dataset_fingerprint": domain.dataset.fingerprint],
                                 testRows: domain.bank.count,
                                 errors: ErrorHistory(test: errors, validation: run.validation.isEmpty ? nil : state.validationErrors))
            }
        }
        if !run.finalCodes.isEmpty {
            row.disentanglement = run.finalCodes.flatMap { $0.scores(method: s.method, classes: run.classes) }
        }
        return row
    }
}

/// The loss stopped being a finite number: training stops and leaves the last checkpoint as it was.
public struct TrainingDiverged: Error, CustomStringConvertible {
    public let step: Int
    public let term: String
    public let value: Float
    public let lastCheckpoint: URL?
    public var description: String {
        "the \(term) became \(value) at step \(step): lower --backbone-lr or lr (the heads'); "
            + (lastCheckpoint.map { "the last good checkpoint is \($0.path) (delete it to start over with other settings)" } ?? "no checkpoint was written")
    }
}
