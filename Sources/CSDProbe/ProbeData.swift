import CSDFeatureStore
import CSDTensor
import Foundation

/// The tokens of a cache, loaded once and shared read-only by every run of a sweep.
public final class ProbeData: @unchecked Sendable {
    public let trainFeatures: Tensor
    public let trainLabels: [Int]
    public let testFeatures: Tensor
    public let testLabels: [Int]
    public let classNames: [String]
    public let provenance: CacheProvenance
    public let url: URL
    /// Per-feature mean and standard deviation of the train split (population std, floored at 1e-6).
    public let mean: Tensor, std: Tensor

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
        classNames = try reader.classNames(trainSplit)
        trainFeatures = try reader.features(trainSplit)
        trainLabels = try reader.labels(trainSplit)
        testFeatures = try reader.features(testSplit)
        testLabels = try reader.labels(testSplit)
        guard trainFeatures.shape[0] > 0, testFeatures.shape[0] > 0 else {
            throw OptionError("\(url.path): the train or test split is empty")
        }
        let k = classNames.count
        for (name, labels) in [(trainSplit, trainLabels), (testSplit, testLabels)]
        where labels.contains(where: { $0 < 0 || $0 >= k }) {
            throw OptionError("\(url.path): split '\(name)' has labels outside 0..<\(k)")
        }
        let (m, s) = Self.statistics(trainFeatures)
        mean = m
        std = s
    }

    /// Per-feature mean and population standard deviation (floored at 1e-6) of [N, D] rows.
    public static func statistics(_ x: Tensor) -> (mean: Tensor, std: Tensor) {
        let (n, d) = (x.shape[0], x.shape[1])
        var mean = [Double](repeating: 0, count: d), sq = [Double](repeating: 0, count: d)
        x.withUnsafeBufferPointer { p in
            for i in 0..<n { for j in 0..<d { mean[j] += Double(p[i * d + j]) } }
            for j in 0..<d { mean[j] /= Double(n) }
            for i in 0..<n { for j in 0..<d { let c = Double(p[i * d + j]) - mean[j]; sq[j] += c * c } }
        }
        let std = sq.map { Float(max(($0 / Double(n)).squareRoot(), 1e-6)) }
        return (Tensor(mean.map(Float.init), shape: [d]), Tensor(std, shape: [d]))
    }

    /// (x - mean) / std, or x unchanged.
    public func standardized(_ x: Tensor, _ on: Bool) -> Tensor {
        guard on else { return x }
        return Kernels.binary(DivOp.self, Kernels.binary(SubOp.self, x, mean), std)
    }
}
