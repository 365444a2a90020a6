import CSDHDF5

/// The rows of a split already in a cache file (another split kept when the file is rebuilt,
/// or a shard being merged), read without conversion when the dtypes agree.
final class CacheGroupSource: SplitRowSource {
    private let reader: FeatureCacheReader
    private let opened: FeatureCacheReader.OpenedSplit
    private let attributes: [String: HDF5Dataset]

    init(reader: FeatureCacheReader, split: String) throws {
        self.reader = reader
        opened = try reader.readableSplit(split)
        attributes = Dictionary(uniqueKeysWithValues: try reader.attributeDatasets(opened))
    }

    var info: FeatureSplitInfo { opened.info }
    var rowCount: Int { opened.info.committedRows }

    /// A failed chunk checksum is reported as `corrupt`, naming this file's data set and rows.
    func read(_ rows: Range<Int>, into block: RowBlock) throws {
        let base = block.count, n = rows.count
        if let index = opened.index {
            try reader.reading(index, rows) {
                try index.readRows(rows, into: UnsafeMutableBufferPointer(rebasing: block.indices[base..<(base + n)]))
            }
        } else {
            for i in 0..<n { block.indices[base + i] = Int64(rows.lowerBound + i) }
        }
        try reader.reading(opened.labels, rows) {
            try opened.labels.readRows(rows, into: UnsafeMutableBufferPointer(rebasing: block.labels[base..<(base + n)]))
        }
        let target = block.featureBytes(base, n)
        switch (opened.features.elementType, block.dtype) {
        case (.float32, .f32):
            try reader.reading(opened.features, rows) { try opened.features.readRows(rows, into: target, as: .float32) }
        case (.float16, .f16):
            try reader.reading(opened.features, rows) { try opened.features.readRows(rows, into: target, as: .float16) }
        default:
            // Cannot happen: sources and output share provenance, hence dtype.
            throw FeatureCacheError.malformed(path: reader.url.path, reason: "features are \(opened.features.elementType), the output is \(block.dtype)")
        }
        for (a, name) in block.attributeNames.enumerated() {
            guard let dataset = attributes[name] else {
                throw FeatureCacheError.malformed(path: reader.url.path, reason: "split \"\(opened.info.name)\" has no attribute \(name)")
            }
            try reader.reading(dataset, rows) {
                try dataset.readRows(rows, into: UnsafeMutableBufferPointer(rebasing: block.attributes[a][base..<(base + n)]))
            }
        }
        block.commit(n)
    }
}
