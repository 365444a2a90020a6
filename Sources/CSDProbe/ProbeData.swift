import CSDFeatureStore
import CSDMethod
import CSDTensor
import Foundation

/// The tokens of a cache, loaded once and shared read-only by every run of a sweep.
public final class ProbeData: @unchecked Sendable {
    public let trainFeatures: Tensor
    public let trainLabels: [Int]
    public let testFeatures: Tensor
    public let testLabels: [Int]
    /// The test split's per-row attributes (stripe and synthetic parameters), by name.
    public let testAttributes: [String: [Float]]
    public let classNames: [String]
    public let provenance: CacheProvenance
    /// False for a minimal cache (features and labels only): its provenance fields are unknown.
    public let hasProvenance: Bool
    public let url: URL
    /// Per-feature mean and standard deviation of the train split (population std, floored at 1e-6).
    public let standardization: Standardization

    public var dimension: Int { trainFeatures.shape[1] }
    public var classes: Int { classNames.count }

    /// Loads train and test; refuses a cache without them, with NaN or infinite tokens, or with
    /// labels outside the class list, before any training starts.
    public init(url: URL, trainSplit: String = "train", testSplit: String = "test") throws {
        let reader = try FeatureCacheReader(url: url)
        for split in [trainSplit, testSplit] where !reader.splitNames.contains(split) {
            throw OptionError("\(url.path): the cache has no '\(split)' split (it has: \(reader.splitNames.joined(separator: ", "))); extract it first")
        }
        try reader.validateFinite()
        self.url = url
        provenance = reader.provenance
        hasProvenance = reader.hasProvenance
        classNames = try reader.classNames(trainSplit)
        trainFeatures = try reader.features(trainSplit)
        trainLabels = try reader.labels(trainSplit)
        testFeatures = try reader.features(testSplit)
        testLabels = try reader.labels(testSplit)
        testAttributes = try reader.attributes(testSplit)
        guard trainFeatures.shape[0] > 0, testFeatures.shape[0] > 0 else {
            throw OptionError("\(url.path): the train or test split is empty")
        }
        let k = classNames.count
        guard k > 0 else {
            throw OptionError("\(url.path): split '\(trainSplit)' has no class names (the 'class_names' attribute "
                              + "extract writes), so the number of classes is unknown")
        }
        for (name, labels) in [(trainSplit, trainLabels), (testSplit, testLabels)] {
            if let row = labels.firstIndex(where: { $0 < 0 || $0 >= k }) {
                throw OptionError("\(url.path): split '\(name)' row \(row) has label \(labels[row]), outside 0..<\(k) "
                                  + "(the cache names \(k) classes)")
            }
        }
        standardization = Standardization(fitting: trainFeatures)
    }

    /// Standardised rows (option `standardize`), or the rows unchanged.
    public func standardized(_ x: Tensor, _ on: Bool) -> Tensor {
        on ? standardization.apply(x) : x
    }
}
