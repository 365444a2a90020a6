import CSDHDF5
import CSDSystem
import Foundation

/// Joins the shard files of a sharded extract into one cache, identical (datasets and
/// attributes, apart from the shard bookkeeping) to what one unsharded run writes.
public enum FeatureCacheMerge {
    /// Checks that every shard has the same provenance, that for each split the shards agree on
    /// its description and their row ranges tile 0..<rows exactly (no gap, no overlap, every
    /// shard complete), then writes `output` (atomically; an existing file is refused unless
    /// `overwrite`). Shards may hold different sets of splits; a shard group without a row
    /// range counts as the whole split.
    public static func merge(shards: [URL], into output: URL, compression: HDF5Compression = .none,
                             overwrite: Bool = false) throws {
        guard let first = shards.first else {
            throw FeatureCacheError.invalidRequest(path: output.path, reason: "no shards to merge")
        }
        guard !shards.contains(where: { $0.standardizedFileURL == output.standardizedFileURL }) else {
            throw FeatureCacheError.invalidRequest(path: output.path, reason: "the output is one of the shards")
        }
        let lock = try OutputLock(output: output)
        defer { lock.release() }
        if FileIO.exists(output) && !overwrite {
            throw FeatureCacheError.invalidRequest(path: output.path, reason: "the output exists; pass --overwrite to replace it")
        }
        let readers = try shards.map { try FeatureCacheReader(url: $0, allowShards: true) }
        if let minimal = readers.first(where: { !$0.hasProvenance }) {
            throw FeatureCacheError.invalidRequest(path: minimal.url.path, reason: "no provenance (a cache of the minimal "
                                                   + "schema, not written by extract); only shards of `extract --shard` are merged")
        }
        let provenance = readers[0].provenance
        for reader in readers.dropFirst() {
            let differences = reader.provenance.differences(from: provenance)
            if !differences.isEmpty {
                throw FeatureCacheError.provenanceMismatch(
                    path: reader.url.path, differences: differences.map { "\($0) (vs \(first.lastPathComponent))" })
            }
        }

        // Every split's pieces, by row range.
        var pieces: [String: [(range: Range<Int>, source: CacheGroupSource, shard: URL)]] = [:]
        for reader in readers {
            for name in reader.splitNames {
                let source = try CacheGroupSource(reader: reader, split: name)
                let info = source.info
                pieces[name, default: []].append((info.rowRange ?? 0..<info.spec.rows, source, reader.url))
            }
        }
        var splits: [CacheFileBuilder.Split] = []
        for name in pieces.keys.sorted() {
            let parts = pieces[name]!.sorted { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
            let spec = parts[0].source.info.spec
            for part in parts.dropFirst() {
                let differences = part.source.info.spec.differences(from: spec)
                if !differences.isEmpty {
                    throw FeatureCacheError.splitMismatch(path: part.shard.path, split: name, differences: differences)
                }
            }
            var next = 0
            for part in parts {
                if part.range.lowerBound > next {
                    throw FeatureCacheError.shardTiling(split: name, reason: "rows \(next)..<\(part.range.lowerBound) are in no shard")
                }
                if part.range.lowerBound < next {
                    throw FeatureCacheError.shardTiling(
                        split: name, reason: "\(part.shard.lastPathComponent) starts at row \(part.range.lowerBound), overlapping rows up to \(next)")
                }
                next = part.range.upperBound
            }
            if next != spec.rows {
                throw FeatureCacheError.shardTiling(split: name, reason: "rows \(next)..<\(spec.rows) are in no shard")
            }
            splits.append(.init(spec: spec, rowRange: nil, source: ConcatenatedSource(parts: parts.map(\.source))))
        }
        AtomicFile.removeStaleTemporaries(for: output)
        try CacheFileBuilder.write(output, provenance: provenance, splits: splits, compression: compression)
    }
}
