import CSDHDF5
import Foundation

/// `extract verify`: reads every stored value of a cache through HDF5, so that every chunk's
/// Fletcher32 checksum is checked, and what readers rely on besides: finite features and
/// attributes, labels within the class names, non-negative source indices.
public enum CacheVerifier {
    /// A one-line report; throws at the first fault, naming the file, split and rows.
    public static func verify(_ url: URL) throws -> String {
        let reader = try FeatureCacheReader(url: url, allowShards: true)
        try reader.validateFinite()
        var splits: [String] = []
        var checksummed = true
        for split in reader.splitNames {
            let opened = try reader.readableSplit(split)
            let classes = try reader.classNames(split).count
            let labels = try reader.labels(split)
            if classes > 0, let row = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
                throw FeatureCacheError.malformed(path: url.path, reason: "\(split)/labels row \(row) is \(labels[row]), "
                                                  + "outside the \(classes) class names")
            }
            if let row = try reader.indices(split).firstIndex(where: { $0 < 0 }) {
                throw FeatureCacheError.malformed(path: url.path, reason: "\(split)/index row \(row) is negative")
            }
            for (name, values) in try reader.attributes(split) {
                if let row = values.firstIndex(where: { !$0.isFinite }) {
                    throw FeatureCacheError.malformed(path: url.path, reason: "\(split)/attributes/\(name) row \(row) is \(values[row])")
                }
            }
            let datasets = [opened.features, opened.labels] + [opened.index].compactMap { $0 } + (try reader.attributeDatasets(opened)).map(\.1)
            // Empty data sets have no chunks, hence no checksum filter.
            for dataset in datasets where try dataset.rowCount > 0 && !(dataset.hasChecksum) { checksummed = false }
            splits.append("\(split) \(labels.count) rows")
        }
        let checks = checksummed ? "every chunk's Fletcher32 checksum verified"
            : reader.hasProvenance ? "read in full (some data sets carry no checksum: written before checksums were added)"
            : "read in full (a minimal cache: no checksums to verify)"
        return "\(url.path): OK: \(splits.joined(separator: ", ")); \(checks); features finite, labels and indices in range"
    }
}
