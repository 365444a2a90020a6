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

    func read(_ rows: Range<Int>, into block: RowBlock) throws {
        let base = block.count, n = rows.count
        try opened.index.readRows(rows, into: UnsafeMutableBufferPointer(rebasing: block.indices[base..<(base + n)]))
        try opened.labels.readRows(rows, into: UnsafeMutableBufferPointer(rebasing: block.labels[base..<(base + n)]))
        let target = block.featureBytes(base, n)
        switch (opened.features.elementType, block.dtype) {
        case (.float32, .f32):
            try opened.features.readRows(rows, into: target, as: .float32)
        case (.float16, .f16):
            try opened.features.readRows(rows, into: target, as: .float16)
        default:
            // Cannot happen: sources and output share provenance, hence dtype.
            throw FeatureCacheError.malformed(path: reader.url.path, reason: "features are \(opened.features.elementType), the output is \(block.dtype)")
        }
        for (a, name) in block.attributeNames.enumerated() {
            guard let dataset = attributes[name] else {
                throw FeatureCacheError.malformed(path: reader.url.path, reason: "split \"\(opened.info.name)\" has no attribute \(name)")
            }
            try dataset.readRows(rows, into: UnsafeMutableBufferPointer(rebasing: block.attributes[a][base..<(base + n)]))
        }
        block.commit(n)
    }
}
