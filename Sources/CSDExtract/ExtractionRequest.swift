import CSDBackbones
import CSDFeatureStore
import CSDHDF5
import CSDTensor
import Foundation

/// Everything one `extract` run is asked to do.
public struct ExtractionRequest: Sendable {
    /// Which token of the backbone to cache.
    public enum Token: String, Sendable, CaseIterable {
        /// The family's image token: DINOv2's normalised [CLS], CLIP's pooler_output, RADIO's summary.
        case image
        /// CLIP only: the projected `image_embeds`.
        case imageEmbeds = "image-embeds"
        /// The mean of the final patch tokens.
        case patchMean = "patch-mean"
    }

    public var model: String
    public var dataset: String
    public var splits: [String]
    public var output: URL
    public var imageSize: Int?
    public var batchSize = 32
    public var dtype = FeatureDType.f32
    /// 0-based shard and shard count, or nil for the whole split.
    public var shard: (index: Int, count: Int)?
    /// Only the first `limit` rows of each split (quick trials); recorded as the split's size.
    public var limit: Int?
    public var token = Token.image
    public var overwrite = false
    /// The model id recorded in the cache instead of the folder or preset name (finetune names
    /// its fine-tuned weights after the model they came from and the run).
    public var modelID: String?
    public var compression = HDF5Compression.none
    /// The number format of the backbone's matrix products (recorded in the provenance).
    public var precision = MatmulPrecision.fp32

    public init(model: String, dataset: String, splits: [String], output: URL) {
        self.model = model
        self.dataset = dataset
        self.splits = splits
        self.output = output
    }
}

/// What happened to one split.
public struct SplitOutcome: Sendable {
    public enum Status: String, Sendable { case extracted, resumed, alreadyComplete = "already complete" }
    public let split: String
    public let status: Status
    public let rows: Int
    public let newRows: Int
    public let seconds: Double
    public var imagesPerSecond: Double { seconds > 0 ? Double(newRows) / seconds : 0 }
}
