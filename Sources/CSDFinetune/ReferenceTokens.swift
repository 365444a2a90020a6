import CSDData
import CSDFeatureStore
import CSDMethod
import CSDTensor
import Foundation

/// The pre-trained tokens of the train split from an extract cache: the standardisation
/// statistics, and the `cached` reconstruction target. The cache must come from the same data
/// set and the same starting weights, and hold every train row.
final class ReferenceTokens {
    let tokens: Tensor
    /// Cache row of each train sample index.
    let rowOfSample: [Int]

    init(path: String, dataset: any Dataset, split: String, rows: Int, weights: String, dimension: Int) throws {
        let reader = try FeatureCacheReader(url: URL(fileURLWithPath: path))
        let p = reader.provenance
        guard reader.hasProvenance else {
            throw OptionError("\(path): the cache records no provenance (no schema_version: a minimal cache, e.g. written "
                              + "with h5py), so nothing shows its tokens come from this data set and these weights; "
                              + "--cache needs a cache written by extract from the model being fine-tuned")
        }
        guard p.datasetFingerprint == dataset.fingerprint else {
            throw OptionError("\(path): the cache was extracted from other data (\(p.datasetID), fingerprint \(p.datasetFingerprint)) than \(dataset.id) (\(dataset.fingerprint))")
        }
        guard p.weightsSHA256 == weights else {
            throw OptionError("\(path): the cache was extracted with other weights (\(p.modelID), \(p.weightsSHA256)) than the model being fine-tuned (\(weights))")
        }
        guard p.featureDim == dimension else {
            throw OptionError("\(path): tokens of width \(p.featureDim), the model's image token has \(dimension) (extract it with the default --token)")
        }
        guard reader.splitNames.contains(split) else {
            throw OptionError("\(path): the cache has no '\(split)' split (it has: \(reader.splitNames.joined(separator: ", ")))")
        }
        try reader.validateFinite()
        let indices = try reader.indices(split)
        var rowOf = [Int](repeating: -1, count: rows)
        for (row, index) in indices.enumerated() where (0..<rows).contains(index) { rowOf[index] = row }
        if let missing = rowOf.firstIndex(of: -1) {
            throw OptionError("\(path): split '\(split)' lacks sample \(missing) of \(rows) (an incomplete or limited extract)")
        }
        tokens = try reader.features(split)
        rowOfSample = rowOf
    }

    /// Tokens of train samples `samples` [n, D].
    func rows(_ samples: [Int]) -> Tensor { Kernels.gatherRows(tokens, samples.map { rowOfSample[$0] }) }
}
