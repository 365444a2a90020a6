import CSDHDF5
import CSDSystem
import Foundation

/// Writes a complete cache file from split sources, replacing `<out>` whole (`AtomicFile`: a
/// temporary file, fsynced and renamed over it). The single writer of every cache file (journal
/// finish and shard merge alike), so equal content gives equal files.
enum CacheFileBuilder {
    struct Split {
        let spec: FeatureSplitSpec
        /// Written as row_range_start/end (a shard file); nil for a whole split.
        let rowRange: Range<Int>?
        let source: any SplitRowSource
    }

    static func write(_ output: URL, provenance: CacheProvenance, splits: [Split], compression: HDF5Compression) throws {
        try FileIO.reporting {
            try AtomicFile.replace(output) { temporary in
                try writeFile(temporary, provenance: provenance, splits: splits, compression: compression)
            }
        }
    }

    private static func writeFile(_ url: URL, provenance: CacheProvenance, splits: [Split],
                                  compression: HDF5Compression) throws {
        let file = try HDF5File(creating: url.path, mode: .exclusive)
        for (key, value) in rootAttributes(provenance) { try file.setAttribute(key, value) }
        for split in splits.sorted(by: { $0.spec.name < $1.spec.name }) {
            try writeSplit(split, in: file, provenance: provenance, compression: compression)
        }
        try file.close()
    }

    static func rootAttributes(_ p: CacheProvenance) -> [(String, HDF5AttributeValue)] {
        typealias Key = CacheProvenance.CodingKeys
        return [
            (Key.schemaVersion.rawValue, .int64(Int64(p.schemaVersion))),
            (Key.modelID.rawValue, .string(p.modelID)),
            (Key.weightsSHA256.rawValue, .string(p.weightsSHA256)),
            (Key.token.rawValue, .string(p.token)),
            (Key.preprocessing.rawValue, .string(p.preprocessing)),
            (Key.datasetID.rawValue, .string(p.datasetID)),
            (Key.datasetFingerprint.rawValue, .string(p.datasetFingerprint)),
            (Key.toolVersion.rawValue, .string(p.toolVersion)),
            (Key.dtype.rawValue, .string(p.dtype.rawValue)),
            (Key.featureDim.rawValue, .int64(Int64(p.featureDim))),
            (Key.matmulPrecision.rawValue, .string(p.matmulPrecision.rawValue)),
        ]
    }

    private static func writeSplit(_ split: Split, in file: HDF5File, provenance: CacheProvenance,
                                   compression: HDF5Compression) throws {
        let n = split.source.rowCount, dim = provenance.featureDim
        let group = try file.createGroup(split.spec.name)
        try group.setAttribute(CacheSchema.rowsAttribute, .int64(Int64(split.spec.rows)))
        try group.setAttribute(CacheSchema.committedRowsAttribute, .int64(Int64(n)))
        try group.setAttribute(CacheSchema.classNamesAttribute, .strings(split.spec.classNames))
        if let range = split.rowRange {
            try group.setAttribute(CacheSchema.rowRangeStartAttribute, .int64(Int64(range.lowerBound)))
            try group.setAttribute(CacheSchema.rowRangeEndAttribute, .int64(Int64(range.upperBound)))
        }

        let featureType: HDF5ElementType = provenance.dtype == .f32 ? .float32 : .float16
        // Checksummed chunks: bit rot in a cache is an error on read, not silently wrong tokens.
        let options = HDF5DatasetOptions(compression: compression, checksum: true)
        let features = try group.createDataset(CacheSchema.featuresName, type: featureType, shape: [n, dim], options: options)
        let labels = try group.createDataset(CacheSchema.labelsName, type: .int64, shape: [n], options: options)
        let index = try group.createDataset(CacheSchema.indexName, type: .int64, shape: [n], options: options)
        let attributeNames = split.spec.attributeNames.sorted()
        var attributes: [HDF5Dataset] = []
        if !attributeNames.isEmpty {
            let attributeGroup = try group.createGroup(CacheSchema.attributesGroup)
            attributes = try attributeNames.map {
                try attributeGroup.createDataset($0, type: .float32, shape: [n], options: options)
            }
        }

        // Blocks of whole feature chunks (~8 MiB), so every chunk is written once, whole.
        let rowBytes = dim * provenance.dtype.byteCount
        let chunkRows = options.resolvedChunkRows(rowBytes: rowBytes, rows: n)
        let blockRows = max(chunkRows, (8 << 20) / max(1, rowBytes) / chunkRows * chunkRows)
        let block = RowBlock(featureDim: dim, dtype: provenance.dtype, attributeNames: attributeNames,
                             capacity: min(blockRows, max(n, 1)))
        var start = 0
        while start < n {
            let rows = start..<min(n, start + block.capacity)
            block.reset()
            try split.source.read(rows, into: block)
            precondition(block.count == rows.count, "source returned \(block.count) of \(rows.count) rows")
            try features.writeRows(UnsafeRawBufferPointer(block.featureBytes(0, rows.count)), as: featureType, at: start)
            try labels.writeRows(UnsafeBufferPointer(rebasing: block.labels[0..<rows.count]), at: start)
            try index.writeRows(UnsafeBufferPointer(rebasing: block.indices[0..<rows.count]), at: start)
            for (a, dataset) in attributes.enumerated() {
                try dataset.writeRows(UnsafeBufferPointer(rebasing: block.attributes[a][0..<rows.count]), at: start)
            }
            start = rows.upperBound
        }
    }
}
