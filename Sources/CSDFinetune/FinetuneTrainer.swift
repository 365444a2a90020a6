import CSDAutograd
import CSDBackbones
import CSDData
import CSDExtract
import CSDFeatureStore
import CSDNN
import CSDProbe
import CSDTensor
import Foundation
import Logging

/// One `finetune` run: the backbone trained end to end with the heads and objective of probe,
/// evaluated on the test split after every epoch, checkpointed so that a killed run continues
/// to the same weights, and reported in probe's results.jsonl schema (`backbone: finetune`).
public final class FinetuneTrainer {
    /// What one optimiser step measured.
    public struct StepReport: Sendable {
        public let step: Int, epoch: Int, stepsPerEpoch: Int, epochs: Int
        public let loss: Float, ce: Float, reconstruction: Float, adversarialContent: Float, adversarialStyle: Float
        public let discriminator: Float
        public let seconds: Double
        public let peakMemoryMiB: Double
    }

    public let settings: FinetuneSettings
    let logger: Logger
    let onStep: (StepReport) -> Void

    public init(settings: FinetuneSettings, logger: Logger, onStep: @escaping (StepReport) -> Void = { _ in }) {
        self.settings = settings
        self.logger = logger
        self.onStep = onStep
    }

    /// The run's row, or nil when it stopped early (`stopAfterSteps`) or was already in
    /// results.jsonl.
    @discardableResult
    public func run() throws -> RunResult? {
        let s = settings
        try s.validate()
        let o = s.options
        let store = ResultsStore(directory: s.output)
        if try store.finishedRunIDs().contains(s.runID) {
            logger.info("\(s.runID) is already in \(store.fileURL.path): nothing to do")
            return nil
        }
        let reference = try ModelReference(s.model)
        let dataset = try DatasetRegistry.open(s.dataset)
        for name in [s.trainSplit, s.testSplit] where !dataset.splitNames.contains(name) {
            throw DatasetError(file: s.dataset, "no split '\(name)' (available: \(dataset.splitNames.joined(separator: ", ")))")
        }
        let trainSplit = try dataset.split(s.trainSplit), testSplit = try dataset.split(s.testSplit)
        let classes = trainSplit.classNames.count
        let trainLabels = Array(try trainSplit.labels().prefix(s.limit ?? .max))
        if let n = s.labels, n > trainLabels.count {
            throw OptionError("--labels \(n): the train split of \(s.dataset) has \(trainLabels.count) samples")
        }
        let initialWeights = try reference.weightsDigest()
        let configJSON = try reference.configJSON()

        // A checkpoint of this run, if any, decides where training continues.
        let runFolder = s.runFolder
        let checkpoints = runFolder.appendingPathComponent("checkpoints")
        let resumeFolder = try TrainingCheckpoint.latest(root: checkpoints)
        var state: TrainingState
        if let resumeFolder {
            state = try TrainingCheckpoint.readState(resumeFolder)
            guard state.runID == s.runID, state.initialWeights == initialWeights else {
                throw CheckpointError(file: resumeFolder.path, "belongs to another run (\(state.runID), weights \(state.initialWeights)); use another --out or remove \(checkpoints.path)")
            }
            logger.info("resuming from \(resumeFolder.lastPathComponent): epoch \(state.epoch + 1), step \(state.step)")
        } else {
            state = TrainingState(runID: s.runID, initialWeights: initialWeights,
                                  orderRNG: RandomStream(seed: UInt64(s.seed), stream: 2).snapshot,
                                  priorRNG: RandomStream(seed: UInt64(s.seed), stream: 3).snapshot)
        }
        // The backbone: pre-trained weights, or the checkpoint's (a model folder itself).
        let backbone = try resumeFolder.map { try BackboneLoader.load(folder: $0) } ?? reference.load()
        guard s.freezeBlocks <= backbone.blocks.count else {
            throw OptionError("--freeze-blocks \(s.freezeBlocks): \(reference.id) has \(backbone.blocks.count) blocks")
        }
        backbone.freezeEmbeddingAndBlocks(s.freezeBlocks)
        backbone.recomputeActivations(s.recompute)
        let preprocessing = Extractor.preprocessing(for: backbone, imageSize: s.imageSize)
        try preprocessing.validate()
        logger.info("model \(reference.id) (\(backbone.family.rawValue), \(backbone.parameterCount) parameters, \(backbone.trainableParameters.reduce(0) { $0 + $1.value.count }) trained); loading \(s.dataset)")
        let train = try ImageBank(split: trainSplit, preprocessing: preprocessing, limit: s.limit)
        let test = try ImageBank(split: testSplit, preprocessing: preprocessing, limit: s.limit)
        for bank in [train, test] where !bank.holdsImages {
            logger.info("split '\(bank.split.name)': decoded images exceed a quarter of the memory; reading them sample by sample")
        }
        let cache = try s.cache.map { try ReferenceTokens(path: $0, dataset: dataset, split: s.trainSplit, rows: trainLabels.count,
                                                          weights: initialWeights, dimension: backbone.imageTokenDimension) }

        let labeled = LabelSubsets.subset(labels: trainLabels, classes: classes, size: s.labels, seed: s.seed)
        var initRNG = RandomStream(seed: UInt64(s.seed), stream: 1)
        let heads = ContentStyleModel(dimension: backbone.imageTokenDimension, classes: classes, options: o,
                                      supervisedOnly: s.method == .supervised, rng: &initRNG)
        let generator = Adam.adamW(groups: [
            ParameterGroup(name: "backbone", parameters: backbone.trainableParameters, learningRate: s.backboneLR,
                           weightDecay: s.weightDecay),
            ParameterGroup(name: "heads", parameters: heads.encoderParameters, learningRate: o.lr),
        ])
        let discriminator = s.method == .csd && !heads.discriminatorParameters.isEmpty
            ? Adam(groups: [ParameterGroup(name: "discriminators", parameters: heads.discriminatorParameters,
                                           learningRate: o.discLR, beta1: 0.5, beta2: 0.999)]) : nil
        let named = backbone.namedParameters(prefix: "backbone.") + heads.namedParameters(prefix: "heads.")
        let optimizers = [TrainingCheckpoint.NamedOptimizer(name: "generator", optimizer: generator, parameters: named)]
            + (discriminator.map { [TrainingCheckpoint.NamedOptimizer(name: "discriminator", optimizer: $0, parameters: named)] } ?? [])

        let statistics: (mean: Tensor, std: Tensor)
        if let resumeFolder {
            statistics = try TrainingCheckpoint.restore(resumeFolder, heads: heads, optimizers: optimizers)
        } else if let cache {
            statistics = ProbeData.statistics(cache.tokens)
        } else {
            statistics = try sampleStatistics(backbone, train)
        }
        let step = TrainingStep(settings: s, backbone: backbone, heads: heads, generator: generator, discriminator: discriminator,
                        statistics: statistics, pixels: { try train.pixels($0) }, cached: s.reconstructionTarget == .cached ? cache : nil)

        let pool = trainLabels.count
        let batch = o.unlabeledBatch
        let stepsPerEpoch = (pool + batch - 1) / batch
        let labeledBatch = min(labeled.count, o.labeledBatch)
        var orderRNG = RandomStream(snapshot: state.orderRNG)
        var priorRNG = RandomStream(snapshot: state.priorRNG)
        let prior = ContentStyleObjective.classPrior(o.classPrior, labels: labeled.map { trainLabels[$0] }, classes: classes)
        let started = Date(), wallBefore = state.wallSeconds
        // Everything is checked: only now does the run get a folder.
        try FileManager.default.createDirectory(at: runFolder, withIntermediateDirectories: true)
        let log = try TrainingLog(url: runFolder.appendingPathComponent("train_log.jsonl"))
        var stepsHere = 0
        func checkpoint() throws {
            state.orderRNG = orderRNG.snapshot
            state.priorRNG = priorRNG.snapshot
            state.wallSeconds = wallBefore + Date().timeIntervalSince(started)
            try TrainingCheckpoint.write(root: checkpoints, backbone: backbone, configJSON: configJSON, heads: heads,
                                         statistics: statistics, optimizers: optimizers, state: state)
        }

        while state.epoch < s.epochs {
            if state.stepInEpoch == 0 {
                state.poolOrder = orderRNG.permutation(pool)
                state.labeledOrder = orderRNG.permutation(labeled.count)
                state.cursor = 0
            }
            while state.stepInEpoch < stepsPerEpoch {
                if let stop = s.stopAfterSteps, stepsHere >= stop { return nil }
                let stepStart = Date()
                let lb = state.nextLabeledBatch(labeledBatch, of: labeled, rng: &orderRNG)
                let k = state.stepInEpoch
                let ub = s.method == .csd ? Array(state.poolOrder[(k * batch)..<min(pool, (k + 1) * batch)]) : []
                let terms = try step.run(labeled: lb, labels: lb.map { trainLabels[$0] }, unlabeled: ub, prior: prior,
                                         priorRNG: &priorRNG)
                guard terms.loss.isFinite && terms.discriminator.isFinite else {
                    // The weights are already spoiled: stop before they reach a checkpoint.
                    throw TrainingDiverged(step: state.step + 1, term: terms.loss.isFinite ? "discriminators' loss" : "loss",
                                           value: terms.loss.isFinite ? terms.discriminator : terms.loss, lastCheckpoint: try TrainingCheckpoint.latest(root: checkpoints))
                }
                state.stepInEpoch += 1
                state.step += 1
                stepsHere += 1
                let report = StepReport(step: state.step, epoch: state.epoch + 1, stepsPerEpoch: stepsPerEpoch, epochs: s.epochs,
                                        loss: terms.loss, ce: terms.ce, reconstruction: terms.reconstruction,
                                        adversarialContent: terms.adversarialContent, adversarialStyle: terms.adversarialStyle,
                                        discriminator: terms.discriminator, seconds: Date().timeIntervalSince(stepStart),
                                        peakMemoryMiB: PeakMemory.residentMiB())
                try log.append(report)
                onStep(report)
                if s.checkpointEvery > 0, state.step % s.checkpointEvery == 0, state.stepInEpoch < stepsPerEpoch { try checkpoint() }
            }
            let error = try evaluate(step, test)
            state.testErrors.append(error)
            state.epoch += 1
            state.stepInEpoch = 0
            logger.info("epoch \(state.epoch)/\(s.epochs): test error \(String(format: "%.4f", error)), peak memory \(String(format: "%.0f", PeakMemory.residentMiB())) MiB")
            try checkpoint()
        }

        // The fine-tuned backbone as a model folder, the heads next to it.
        let modelFolder = runFolder.appendingPathComponent("backbone")
        try TrainingCheckpoint.writeModelFolder(modelFolder, backbone: backbone, configJSON: configJSON)
        try TrainingCheckpoint.writeHeads(heads, statistics: statistics, to: runFolder.appendingPathComponent(TrainingCheckpoint.headsFile))
        // The cache before the result row: a run killed while writing it redoes (resumes) it.
        if let cacheURL = s.writeCache {
            var request = ExtractionRequest(model: modelFolder.path, dataset: s.dataset, splits: [s.trainSplit, s.testSplit], output: cacheURL)
            request.imageSize = s.imageSize
            request.limit = s.limit
            request.batchSize = s.evaluationBatch
            request.modelID = "finetune:\(reference.id):\(runFolder.lastPathComponent)"
            logger.info("writing the fine-tuned tokens to \(cacheURL.path)")
            _ = try Extractor(request: request, logger: logger).run()
        }
        let row = result(state: state, labeled: labeled, reference: reference, dataset: dataset, backbone: backbone,
                         trainRows: train.count, testRows: test.count, initialWeights: initialWeights)
        try LabelSubsets.record([s.labels.map(String.init) ?? "all": s.labels == nil ? [] : labeled], seed: s.seed, results: s.output)
        try store.append(row)
        try Reports.write(directory: s.output)
        return row
    }

    /// Standardisation statistics from the initial backbone's tokens of a seeded sample of the
    /// train split (when no extract cache is given).
    func sampleStatistics(_ backbone: any Backbone, _ train: ImageBank) throws -> (mean: Tensor, std: Tensor) {
        var rng = RandomStream(seed: UInt64(settings.seed), stream: 4)
        let rows = Array(rng.permutation(train.count).prefix(settings.standardizeSamples))
        logger.info("standardisation statistics from the tokens of \(rows.count) train images")
        let tokens = try imageTokens(backbone, train, rows)
        return ProbeData.statistics(tokens)
    }

    /// Image tokens of `rows` without a graph, in evaluation batches.
    func imageTokens(_ backbone: any Backbone, _ bank: ImageBank, _ rows: [Int]) throws -> Tensor {
        var parts: [Tensor] = []
        for start in stride(from: 0, to: rows.count, by: settings.evaluationBatch) {
            let chunk = Array(rows[start..<min(rows.count, start + settings.evaluationBatch)])
            let pixels = try bank.pixels(chunk)
            parts.append(GradMode.withoutGradients { backbone(Variable(pixels)).imageToken.value })
        }
        return Kernels.concat(parts, axis: 0)
    }

    /// Test error of argmax p with the current backbone and heads.
    func evaluate(_ step: TrainingStep, _ test: ImageBank) throws -> Double {
        var wrong = 0
        for start in stride(from: 0, to: test.count, by: settings.evaluationBatch) {
            let rows = start..<min(test.count, start + settings.evaluationBatch)
            let pixels = try test.pixels(Array(rows))
            wrong += ProbeTrainer.misclassified(logits: GradMode.withoutGradients { step.logits(pixels) }, labels: test.labels[rows])
        }
        return Double(wrong) / Double(max(test.count, 1))
    }

    func result(state: TrainingState, labeled: [Int], reference: ModelReference, dataset: any Dataset, backbone: any Backbone,
                trainRows: Int, testRows: Int, initialWeights: String) -> RunResult {
        let s = settings
        let errors = state.testErrors
        let best = errors.enumerated().min { $0.element < $1.element }
        return RunResult(
            runID: s.runID, method: s.method.rawValue, labels: labeled.count,
            labelsRequested: s.labels.map(String.init) ?? "all", seed: s.seed, options: s.recordedOptions,
            epochs: s.epochs, finalTestError: errors.last ?? .nan, bestTestError: best?.element ?? .nan,
            bestEpoch: (best?.offset ?? 0) + 1, validationChosenTestError: nil, testErrors: errors,
            wallSeconds: state.wallSeconds, toolVersion: ToolVersion.current,
            cache: ["model_id": reference.id, "weights_sha256": initialWeights, "dataset_id": dataset.id,
                    "dataset_fingerprint": dataset.fingerprint, "token": backbone.family.imageTokenName,
                    "feature_dim": "\(backbone.imageTokenDimension)", "path": s.cache ?? ""],
            subsetFile: "subsets/seed-\(s.seed).json", trainRows: trainRows, testRows: testRows,
            backbone: "finetune", timestamp: ISO8601DateFormatter().string(from: Date()))
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
