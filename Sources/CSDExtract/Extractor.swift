import CSDAutograd
import CSDBackbones
import CSDData
import CSDFeatureStore
import CSDImage
import CSDSystem
import CSDTensor
import Foundation
import Logging

/// Phase one: a backbone's forward over the splits of a data set, appended batch by batch to a
/// crash-safe feature cache (resumable, shardable).
public final class Extractor {
    public let request: ExtractionRequest
    let logger: Logger
    let makeProgress: ProgressFactory

    public init(request: ExtractionRequest, logger: Logger,
                progress: @escaping ProgressFactory = { _, _, _ in SilentProgress() }) {
        self.request = request
        self.logger = logger
        self.makeProgress = progress
    }

    public func run() throws -> [SplitOutcome] {
        // The output's lock (and a writable folder) first, before any slow work.
        // One build at the end: the file at --out only changes once every split is complete.
        let output = try FeatureCacheOutput(url: request.output,
                                            options: .init(compression: request.compression, overwrite: request.overwrite))
        defer { output.close() }
        let reference = try ModelReference(request.model)
        let dataset = try DatasetRegistry.open(request.dataset)
        for name in request.splits where !dataset.splitNames.contains(name) {
            throw DatasetError(file: request.dataset, "no split '\(name)' (available: \(dataset.splitNames.joined(separator: ", ")))")
        }
        var options = BackboneOptions()
        if request.token == .imageEmbeds { options.clipImageEmbeds = true }
        let model = try reference.load(options: options)
        if request.token == .imageEmbeds && model.family != .clip {
            throw BackboneConfigError(file: request.model, "--token image-embeds exists for CLIP only")
        }
        model.isTraining = false
        model.matmulPrecision = request.precision
        let preprocessing = model.preprocessing(imageSize: request.imageSize)
        try preprocessing.validate()
        let tokenName: String
        switch request.token {
        case .image: tokenName = model.family.imageTokenName
        case .imageEmbeds: tokenName = "image_embeds"
        case .patchMean: tokenName = "patch_mean"
        }
        let dimension = request.token == .patchMean ? model.tokenDimension : model.imageTokenDimension
        logger.info("model \(reference.id) (\(model.family.rawValue), \(model.parameterCount) parameters), computing weights SHA-256")
        let provenance = CacheProvenance(
            modelID: request.modelID ?? reference.id, weightsSHA256: try reference.weightsDigest(), token: tokenName,
            preprocessing: try CacheProvenance.preprocessingJSON(preprocessing), datasetID: dataset.id,
            datasetFingerprint: dataset.fingerprint, toolVersion: ToolVersion.current, dtype: request.dtype,
            featureDim: dimension, matmulPrecision: request.precision)

        var outcomes: [SplitOutcome] = []
        for name in request.splits {
            do {
                outcomes.append(try extract(split: try dataset.split(name), model: model, preprocessing: preprocessing,
                                            provenance: provenance, output: output))
            } catch where !outcomes.isEmpty {
                throw PartialExtraction(underlying: error, completeSplits: outcomes.map(\.split), failedSplit: name,
                                        output: request.output.path)
            }
        }
        let journaled = output.journaledSplits
        do {
            try output.finish()
        } catch where !journaled.isEmpty {
            throw PartialExtraction(underlying: error, completeSplits: journaled, failedSplit: nil, output: request.output.path)
        }
        return outcomes
    }

    /// Journals the split's rows (the file is built by `output.finish()`).
    func extract(split: any DatasetSplit, model: any Backbone, preprocessing: Preprocessing,
                 provenance: CacheProvenance, output: FeatureCacheOutput) throws -> SplitOutcome {
        let rows = min(split.count, request.limit ?? split.count)
        let spec = FeatureSplitSpec(name: split.name, rows: rows, classNames: split.classNames,
                                    attributeNames: split.attributeNames)
        let range = request.shard.map { ShardPlan.range(shard: $0.index, of: $0.count, rows: rows) }
        let writer = try output.writer(provenance: provenance, split: spec, rowRange: range)
        let covered = range ?? 0..<rows
        if writer.isSplitComplete {
            logger.info("\(split.name): already complete in \(request.output.path) (\(covered.count) rows)")
            return SplitOutcome(split: split.name, status: .alreadyComplete, rows: covered.count, newRows: 0, seconds: 0)
        }
        let todo = writer.remainingRows
        let resumed = writer.committedRows > 0
        if resumed { logger.info("\(split.name): resuming at row \(todo.lowerBound) (\(writer.committedRows) rows committed)") }
        let progress = makeProgress(split.name, covered.count, writer.committedRows)
        let started = Date()
        if todo.isEmpty {
            progress.finish()
            return SplitOutcome(split: split.name, status: .resumed, rows: covered.count, newRows: 0, seconds: 0)
        }
        let prefetcher = BatchPrefetcher(reader: try split.reader(range: todo), preprocessing: preprocessing,
                                         batchSize: request.batchSize, attributeNames: split.attributeNames)
        do {
            while let batch = try prefetcher.next() {
                let output = GradMode.withoutGradients { model(Variable(batch.pixels)) }
                let features = request.token == .patchMean ? output.patchMean.value : output.imageToken.value
                try writer.append(indices: batch.indices, labels: batch.labels, features: features,
                                  attributes: batch.attributes)
                progress.advance(by: batch.indices.count)
            }
        } catch {
            prefetcher.cancel()
            throw error
        }
        progress.finish()
        let seconds = Date().timeIntervalSince(started)
        return SplitOutcome(split: split.name, status: resumed ? .resumed : .extracted, rows: covered.count,
                            newRows: todo.count, seconds: seconds)
    }
}

extension Extractor {
    /// What finetune's `--write-cache` runs after training (`FinetuneTrainer.exportTokens`):
    /// this pipeline over `splits` of `dataset` with the fine-tuned model folder, its model id
    /// recorded as given, into `output`, in the precision the run was trained in.
    public static func tokenExport(dataset: String, splits: [String], output: URL, imageSize: Int?, limit: Int?,
                                   batchSize: Int, precision: MatmulPrecision = .fp32, logger: Logger,
                                   progress: @escaping ProgressFactory = { _, _, _ in SilentProgress() })
        -> (_ modelFolder: URL, _ modelID: String) throws -> Void {
        { folder, modelID in
            var request = ExtractionRequest(model: folder.path, dataset: dataset, splits: splits, output: output)
            request.imageSize = imageSize
            request.limit = limit
            request.batchSize = batchSize
            request.modelID = modelID
            request.precision = precision
            logger.info("writing the fine-tuned tokens to \(output.path)")
            _ = try Extractor(request: request, logger: logger, progress: progress).run()
        }
    }
}
