import CSDAutograd
import CSDBackbones
import CSDData
import CSDDistributed
import CSDMethod
import CSDNN
import CSDSystem
import CSDTensor
import Foundation
import Logging

/// A finetune run once prepared: the data, the backbone and heads (from the pre-trained weights
/// or the latest checkpoint), the optimisers, the training step and where training stands.
/// `prepare` checks every input before the run gets a folder.
///
/// Data-parallel (`group` of several processes), every rank prepares the same run, takes its
/// slice of each step's rows and of each evaluation's rows, and the results are summed or
/// gathered so that every rank holds the same weights and state.
final class FinetuneRun {
    let settings: FinetuneSettings
    let group: ProcessGroup
    let reference: ModelReference
    let dataset: any Dataset
    let initialWeights: String
    let configJSON: Data
    let train: ImageBank, test: ImageBank
    let trainLabels: [Int]
    /// Held-out validation rows, the rows the labeled subset and the unlabeled pool come from,
    /// and the labeled subset.
    let validation: [Int], pool: [Int], labeled: [Int]
    let backbone: any Backbone
    let heads: ContentStyleModel
    let optimizers: [TrainingCheckpoint.NamedOptimizer]
    let standardization: Standardization
    let step: TrainingStep
    let plan: MemoryPlan
    /// The test rows of the evaluations during training (all, or a fixed class-balanced subset).
    let evaluationRows: [Int]
    let prior: [Double]
    var state: TrainingState
    var orderRNG: RandomStream, priorRNG: RandomStream
    let checkpoints: URL
    /// The evaluation data sets' test splits (`--eval-dataset`), in the order given.
    let domains: [EvaluationDomain]
    /// The codes of the final evaluation (home first), for the disentanglement report.
    var finalCodes: [EvaluatedCodes] = []

    /// An evaluation data set's test split, evaluated with the home test split.
    struct EvaluationDomain {
        let name: String
        let spec: String
        let dataset: any Dataset
        let bank: ImageBank
        /// The rows of the evaluations during training (all, or a class-balanced subset).
        let evaluationRows: [Int]
    }

    var classes: Int { train.split.classNames.count }
    var stepsPerEpoch: Int { (pool.count + settings.options.unlabeledBatch - 1) / settings.options.unlabeledBatch }
    /// The run's optimiser steps: its epochs', or fewer with `maxSteps`.
    var totalSteps: Int { min(stepsPerEpoch * settings.epochs, settings.maxSteps ?? .max) }

    init(settings s: FinetuneSettings, group: ProcessGroup, logger: Logger, progress: @escaping ProgressFactory) throws {
        settings = s
        self.group = group
        reference = try ModelReference(s.model)
        dataset = try DatasetRegistry.open(s.dataset)
        let trainSplit = try Self.split(dataset, s.trainSplit, spec: s.dataset)
        let testSplit = try Self.split(dataset, s.testSplit, spec: s.dataset)
        let evaluationSplits = try Self.evaluationSplits(s, classes: trainSplit.classNames.count)
        let trainLabels = Array(try trainSplit.labels().prefix(s.limit ?? .max))
        (validation, pool, labeled) = try Self.subsets(s, labels: trainLabels, classes: trainSplit.classNames.count)
        self.trainLabels = trainLabels
        prior = ContentStyleObjective.classPrior(s.options.classPrior, labels: labeled.map { trainLabels[$0] },
                                                 classes: trainSplit.classNames.count)
        initialWeights = try reference.weightsDigest()
        configJSON = try reference.configJSON()

        // A checkpoint of this run, if any, decides where training continues.
        checkpoints = s.runFolder.appendingPathComponent("checkpoints")
        let resumeFolder = try TrainingCheckpoint.latest(root: checkpoints)
        state = try Self.startingState(s, resumeFolder: resumeFolder, initialWeights: initialWeights, logger: logger)
        orderRNG = RandomStream(snapshot: state.orderRNG)
        priorRNG = RandomStream(snapshot: state.priorRNG)

        let backbone = try Self.backbone(s, reference: reference, resumeFolder: resumeFolder)
        backbone.matmulPrecision = s.precision
        self.backbone = backbone
        let preprocessing = backbone.preprocessing(imageSize: s.imageSize)
        try preprocessing.validate()
        let trained = backbone.trainableParameters.reduce(0) { $0 + $1.value.count }
        logger.info("model \(reference.id) (\(backbone.family.rawValue), \(backbone.parameterCount) parameters, \(trained) trained)")
        var initRNG = RandomStream(seed: s.seed, .initialisation)
        let heads = ContentStyleModel(dimension: backbone.imageTokenDimension, classes: trainSplit.classNames.count,
                                      options: s.options, supervisedOnly: s.method == .supervised, rng: &initRNG)
        self.heads = heads
        // The memory plan, before any data is loaded: a run that cannot fit stops here.
        plan = try Self.memoryPlan(s, backbone: backbone, heads: heads.parameterCount, labeled: labeled.count,
                                   pool: pool.count, splits: [trainSplit, testSplit] + evaluationSplits.map(\.split), group: group)
        logger.info("\(plan)")
        let stepRows = min(labeled.count, s.options.labeledBatch) + (s.method == .csd ? min(pool.count, s.options.unlabeledBatch) : 0)
        guard group.size <= stepRows else {
            throw OptionError("\(group.size) processes for steps of \(stepRows) rows: each process needs a row of every step; "
                              + "start at most \(stepRows), or raise --batch-size")
        }
        backbone.recomputeActivations(plan.recompute)
        logger.info("loading \(s.dataset)")
        let train = try ImageBank(split: trainSplit, preprocessing: preprocessing, limit: s.limit)
        self.train = train
        let test = try ImageBank(split: testSplit, preprocessing: preprocessing, limit: s.limit)
        self.test = test
        evaluationRows = LabelSubsets.subset(labels: test.labels, classes: testSplit.classNames.count, size: s.evaluationLimit,
                                             seed: s.seed)
        domains = try evaluationSplits.map { e in
            let bank = try ImageBank(split: e.split, preprocessing: preprocessing, limit: s.limit)
            return EvaluationDomain(name: e.name, spec: e.spec, dataset: e.dataset, bank: bank,
                                    evaluationRows: LabelSubsets.subset(labels: bank.labels, classes: e.split.classNames.count,
                                                                        size: s.evaluationLimit, seed: s.seed))
        }
        if state.domainTestErrors == nil && state.testErrors.isEmpty && !domains.isEmpty {
            state.domainTestErrors = domains.map { _ in [] }
        }
        guard (state.domainTestErrors?.count ?? 0) == domains.count else {
            throw OptionError("--eval-dataset: the checkpoint in \(checkpoints.path) was evaluated on "
                              + "\(state.domainTestErrors?.count ?? 0) evaluation data sets, not \(domains.count); "
                              + "continue with the same --eval-dataset list, or use another --out")
        }
        for bank in [train, test] where !bank.holdsImages { logger.info("split '\(bank.split.name)': read sample by sample (\(ImageBank.note))") }
        let (dataset, weights) = (self.dataset, initialWeights), cache = try s.cache.map {
            try ReferenceTokens(path: $0, dataset: dataset, split: s.trainSplit, rows: trainLabels.count,
                                weights: weights, dimension: backbone.imageTokenDimension)
        }

        let (generator, discriminator, optimizers) = Self.optimizers(s, backbone: backbone, heads: heads)
        self.optimizers = optimizers
        let standardization = try resumeFolder.map { try TrainingCheckpoint.restore($0, heads: heads, optimizers: optimizers) }
            ?? cache.map { Standardization(fitting: $0.tokens) }
            ?? Self.sampleStandardization(s, backbone: backbone, train: train, group: group,
                                          progress: progress("statistics", min(s.standardizeSamples, train.count), 0))
        self.standardization = standardization
        step = TrainingStep(finetune: s, backbone: backbone, heads: heads, generator: generator, discriminator: discriminator,
                            standardization: standardization, microBatches: plan.accumulate, group: group,
                            pixels: { try train.pixels($0) },
                            cachedTokens: s.reconstructionTarget == .cached ? cache.map { c in { c.rows($0) } } : nil)
        // As PyTorch's DDP: rank 0's weights on every rank before the first step (they loaded
        // the same files; this rules out any difference).
        for p in parameters { group.broadcast(p) }
    }

    /// Every weight a rank holds: the backbone's and the heads' (with the discriminators').
    var parameters: [Variable] { backbone.parameters + heads.parameters }

    /// A checksum of every weight, the same on every rank when they are in step.
    var weightsChecksum: UInt32 {
        parameters.reduce(0) { crc, p in p.value.withUnsafeBufferPointer { CRC32.checksum(UnsafeRawBufferPointer($0), continuing: crc) } }
    }

    /// The evaluation data sets' test splits: opened and checked (the class count) before any
    /// data loads; a name is `NAME` of `NAME=SPEC`, else the data set's id.
    static func evaluationSplits(_ s: FinetuneSettings, classes: Int) throws
        -> [(name: String, spec: String, dataset: any Dataset, split: any DatasetSplit)] {
        var names = Set<String>()
        return try s.evaluationDatasets.map { text in
            let (name, spec) = FinetuneSettings.namedDataset(text)
            let dataset = try DatasetRegistry.open(spec)
            let split = try Self.split(dataset, s.testSplit, spec: spec)
            guard split.classNames.count == classes else {
                throw OptionError("--eval-dataset \(spec): \(split.classNames.count) classes, the training data set has \(classes)")
            }
            let resolved = name ?? dataset.id
            guard resolved != "home", names.insert(resolved).inserted else {
                throw OptionError("--eval-dataset \(text): the name '\(resolved)' is taken; name it NAME=SPEC")
            }
            return (resolved, spec, dataset, split)
        }
    }

    static func split(_ dataset: any Dataset, _ name: String, spec: String) throws -> any DatasetSplit {
        guard dataset.splitNames.contains(name) else {
            throw DatasetError(file: spec, "no split '\(name)' (available: \(dataset.splitNames.joined(separator: ", ")))")
        }
        return try dataset.split(name)
    }

    /// The validation rows held out, the pool the rest forms, and the labeled subset drawn from it.
    static func subsets(_ s: FinetuneSettings, labels: [Int], classes: Int) throws -> (validation: [Int], pool: [Int], labeled: [Int]) {
        let perClass = s.validationPerClass ?? LabelSubsets.defaultValidationPerClass(trainRows: labels.count, classes: classes)
        let (validation, pool) = LabelSubsets.holdOut(labels: labels, classes: classes, perClass: perClass, seed: s.seed)
        if let n = s.labels, n > pool.count {
            throw OptionError("--labels \(n): the train split of \(s.dataset) has \(labels.count) samples"
                              + (validation.isEmpty ? "" : ", \(validation.count) of them held out for validation"))
        }
        return (validation, pool, LabelSubsets.subset(of: pool, labels: labels, classes: classes, size: s.labels, seed: s.seed))
    }

    /// AdamW over the backbone's trainable weights and the heads (one generator step), the
    /// discriminators' Adam, and both with the parameter names checkpoints store them under.
    static func optimizers(_ s: FinetuneSettings, backbone: any Backbone, heads: ContentStyleModel)
        -> (generator: Adam, discriminator: Adam?, named: [TrainingCheckpoint.NamedOptimizer]) {
        let generator = Adam.adamW(groups: [
            ParameterGroup(name: "backbone", parameters: backbone.trainableParameters, learningRate: s.backboneLR,
                           weightDecay: s.weightDecay),
            heads.headsGroup(s.options),
        ])
        let discriminator = s.method == .csd ? heads.discriminatorOptimizer(s.options) : nil
        let parameters = backbone.namedParameters(prefix: "backbone.") + heads.namedParameters(prefix: "heads.")
        let named = [TrainingCheckpoint.NamedOptimizer(name: "generator", optimizer: generator, parameters: parameters)]
            + (discriminator.map { [TrainingCheckpoint.NamedOptimizer(name: "discriminator", optimizer: $0, parameters: parameters)] } ?? [])
        return (generator, discriminator, named)
    }

    /// The checkpoint's state, or a fresh one; a checkpoint of other settings is refused.
    static func startingState(_ s: FinetuneSettings, resumeFolder: URL?, initialWeights: String,
                              logger: Logger) throws -> TrainingState {
        guard let resumeFolder else {
            return TrainingState(runID: s.runID, initialWeights: initialWeights,
                                 orderRNG: RandomStream(seed: s.seed, .order).snapshot,
                                 priorRNG: RandomStream(seed: s.seed, .prior).snapshot)
        }
        let state = try TrainingCheckpoint.readState(resumeFolder)
        guard state.runID == s.runID, state.initialWeights == initialWeights else {
            throw CheckpointError(file: resumeFolder.path, "belongs to another run (\(state.runID), weights \(state.initialWeights)); use another --out or remove \(resumeFolder.deletingLastPathComponent().path)")
        }
        logger.info("resuming from \(resumeFolder.lastPathComponent): epoch \(state.epoch + 1), step \(state.step)")
        return state
    }

    /// The pre-trained weights, or the checkpoint's (a model folder itself), frozen as asked.
    static func backbone(_ s: FinetuneSettings, reference: ModelReference, resumeFolder: URL?) throws -> any Backbone {
        let backbone = try resumeFolder.map { try BackboneLoader.load(folder: $0) } ?? reference.load()
        guard s.freezeBlocks <= backbone.blocks.count else {
            throw OptionError("--freeze-blocks \(s.freezeBlocks): \(reference.id) has \(backbone.blocks.count) blocks")
        }
        backbone.freezeEmbeddingAndBlocks(s.freezeBlocks)
        return backbone
    }

    /// The plan for one optimiser step's rows: the labeled batch and (csd) the unlabeled batch;
    /// the decoded images of both splits count as fixed memory.
    /// Data-parallel, the plan is one rank's: its share of the rows (the largest slice), and its
    /// share of the machine's memory (the ranks on one machine split it).
    static func memoryPlan(_ s: FinetuneSettings, backbone: any Backbone, heads: Int, labeled: Int, pool: Int,
                           splits: [any DatasetSplit], group: ProcessGroup) throws -> MemoryPlan {
        let o = s.options
        let dataBytes = try splits.reduce(0.0) { $0 + (try ImageBank.decodedBytes(split: $1, limit: s.limit)) }
        func share(_ rows: Int) -> Int { (rows + group.size - 1) / group.size }
        return try MemoryPlan.choose(shape: MemoryPlan.Shape(backbone, imageSize: backbone.inputSize(imageSize: s.imageSize)),
                                     labeledRows: share(min(labeled, o.labeledBatch)),
                                     unlabeledRows: s.method == .csd ? share(min(pool, o.unlabeledBatch)) : 0,
                                     heads: heads, dataBytes: dataBytes, accumulate: s.accumulate, recompute: s.recompute,
                                     budgetBytes: s.memoryBudget ?? MemoryPlan.availableBytes() / Double(group.localSize),
                                     dataParallel: group.isDistributed)
    }

    /// Standardisation statistics from the initial backbone's tokens of a seeded sample of the
    /// train split (when no extract cache is given).
    static func sampleStandardization(_ s: FinetuneSettings, backbone: any Backbone, train: ImageBank, group: ProcessGroup,
                                      progress: any ProgressSink) throws -> Standardization {
        var rng = RandomStream(seed: s.seed, .statisticsSample)
        let rows = Array(rng.permutation(train.count).prefix(s.standardizeSamples))
        progress.note("standardisation statistics from the initial tokens")
        defer { progress.finish(); StoragePool.shared.releaseCached() }
        let mine = try imageTokens(backbone, train, group.share(rows), batch: s.evaluationBatch, progress: progress)
        return Standardization(fitting: Self.gathered(mine, rows: rows.count, group))
    }

    /// The ranks' row blocks of one matrix (each its `share` of the rows), joined in row order on
    /// every rank.
    static func gathered(_ mine: Tensor, rows: Int, _ group: ProcessGroup) -> Tensor {
        guard group.isDistributed else { return mine }
        let columns = mine.shape.count == 2 ? mine.shape[1] : 0
        return Tensor(group.allGather(mine.count == 0 ? [] : mine.scalars), shape: [rows, columns])
    }

    /// Image tokens of `rows` without a graph, in evaluation batches.
    static func imageTokens(_ backbone: any Backbone, _ bank: ImageBank, _ rows: [Int], batch: Int,
                            progress: any ProgressSink) throws -> Tensor {
        var parts: [Tensor] = []
        for start in stride(from: 0, to: rows.count, by: batch) {
            let chunk = Array(rows[start..<min(rows.count, start + batch)])
            let pixels = try bank.pixels(chunk)
            parts.append(GradMode.withoutGradients { backbone(Variable(pixels)).imageToken.value })
            progress.advance(by: chunk.count)
        }
        return Kernels.concat(parts, axis: 0)
    }

    /// The error rate of argmax p on `rows` of `bank` with the current backbone and heads.
    func errorRate(_ bank: ImageBank, rows: [Int], progress: any ProgressSink) throws -> Double {
        try evaluate(bank, rows: rows, keepCodes: false, domain: "", progress: progress).error
    }

    /// The error rate on `rows` of `bank` and, with `keepCodes`, the rows' logits, style codes
    /// and standardised tokens (one backbone pass for both).
    /// Data-parallel, each rank evaluates its slice of `rows`; the error counts are summed and
    /// the codes gathered.
    func evaluate(_ bank: ImageBank, rows: [Int], keepCodes: Bool, domain: String,
                  progress: any ProgressSink) throws -> (error: Double, codes: EvaluatedCodes?) {
        let tokens = BackboneTokens(backbone: backbone, standardization: settings.options.standardize ? standardization : nil)
        let mine = group.share(rows)
        var logits: [Tensor] = [], styles: [Tensor] = [], tokenRows: [Tensor] = []
        defer { progress.finish() }
        let myWrong = try Evaluation.misclassified(count: mine.count, labels: mine.map { bank.labels[$0] },
                                                   chunk: settings.evaluationBatch) { range in
            defer { progress.advance(by: range.count) }
            let t = tokens(try bank.pixels(Array(mine[range])))
            let codes = heads.encode(t)
            if keepCodes {
                logits.append(codes.logits.value)
                tokenRows.append(t.value)
                if let style = codes.style { styles.append(style.value) }
            }
            return codes.logits.value
        }
        let error = group.allReduceSum([Double(myWrong)])[0] / Double(max(rows.count, 1))
        guard keepCodes, !rows.isEmpty else { return (error, nil) }
        func joined(_ parts: [Tensor], columns: Int) -> Tensor {
            Self.gathered(parts.isEmpty ? Tensor(zeros: [0, columns]) : Kernels.concat(parts, axis: 0), rows: rows.count, group)
        }
        let styleWidth = heads.style?.outFeatures ?? 0
        return (error, EvaluatedCodes(domain: domain, labels: rows.map { bank.labels[$0] },
                                      attributes: bank.attributes.mapValues { a in rows.map { a[$0] } },
                                      logits: joined(logits, columns: heads.classes),
                                      style: heads.style == nil ? nil : joined(styles, columns: styleWidth),
                                      tokens: joined(tokenRows, columns: backbone.imageTokenDimension)))
    }
}
