import Foundation

/// Everything the feature store refuses, each naming the file it is about. HDF5 failures are
/// thrown as `HDF5Error` (which also names file and operation).
public enum FeatureCacheError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file is HDF5 but has no `schema_version` (or another required root attribute).
    case notACache(path: String, reason: String)
    case unsupportedSchema(path: String, version: Int)
    /// A cache whose contents contradict its own schema (wrong shapes, types or attributes).
    case malformed(path: String, reason: String)
    /// The file at `path` was written with other provenance (requested vs existing).
    case provenanceMismatch(path: String, differences: [String])
    /// A split of the same name exists (in the file or a shard) but describes other rows.
    case splitMismatch(path: String, split: String, differences: [String])
    /// An unfinished journal was written for another request (requested vs journal).
    case journalMismatch(path: String, differences: [String])
    case missingSplit(path: String, split: String, available: [String])
    /// Fewer rows committed than the split has (an interrupted or shard file).
    case incompleteSplit(path: String, split: String, committedRows: Int, rows: Int, rowRange: Range<Int>?)
    case nonFinite(path: String, split: String, row: Int, column: Int, value: Float)
    /// Stored bytes that fail their checksum (bit rot, or an edit): the data set (e.g.
    /// `train/features`) and the rows whose read hit them.
    case corrupt(path: String, dataset: String, rows: Range<Int>)
    /// A batch handed to the writer does not fit the split (sizes, attributes, too many rows).
    case invalidBatch(path: String, reason: String)
    /// Arguments that cannot describe a cache (bad split name, row range, dimension...).
    case invalidRequest(path: String, reason: String)
    /// Another process holds the writer lock of this output.
    case busy(path: String)
    /// Shards that do not tile a split exactly.
    case shardTiling(split: String, reason: String)
    /// A system call failed.
    case io(path: String, operation: String, code: Int32)
    /// The output's folder refuses new files (permissions, a read-only mount).
    case unwritableFolder(path: String, code: Int32)

    public var description: String {
        switch self {
        case let .notACache(path, reason):
            return "\(path): not a feature cache (\(reason))"
        case let .unsupportedSchema(path, version):
            return "\(path): schema_version \(version) is not supported (this build reads \(CacheProvenance.currentSchemaVersion))"
        case let .malformed(path, reason):
            return "\(path): malformed feature cache: \(reason)"
        case let .provenanceMismatch(path, differences):
            return "\(path): the cache was written with other provenance (requested vs existing): "
                + differences.joined(separator: "; ") + "; pass --overwrite to replace it"
        case let .splitMismatch(path, split, differences):
            return "\(path): split \"\(split)\" describes other rows (requested vs existing): "
                + differences.joined(separator: "; ")
        case let .journalMismatch(path, differences):
            return "\(path): an unfinished journal belongs to another request (requested vs journal): "
                + differences.joined(separator: "; ") + "; pass --overwrite to discard it"
        case let .missingSplit(path, split, available):
            return "\(path): no split \"\(split)\" (the file has: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case let .incompleteSplit(path, split, committed, rows, range):
            if let range {
                return "\(path): split \"\(split)\" is a shard holding rows \(range.lowerBound)..<\(range.upperBound) "
                    + "of \(rows) (\(committed) committed); merge the shards first"
            }
            return "\(path): split \"\(split)\" is incomplete: \(committed) of \(rows) rows committed"
        case let .nonFinite(path, split, row, column, value):
            return "\(path): split \"\(split)\" has a non-finite feature \(value) at row \(row), column \(column)"
        case let .corrupt(path, dataset, rows):
            return "\(path): \(dataset) rows \(rows.lowerBound)..<\(rows.upperBound): corrupt data: a chunk fails its "
                + "Fletcher32 checksum (the file changed after it was written; extract it again)"
        case let .invalidBatch(path, reason):
            return "\(path): invalid batch: \(reason)"
        case let .invalidRequest(path, reason):
            return "\(path): \(reason)"
        case let .busy(path):
            return "\(path): another process is writing this cache (its lock file is held)"
        case let .shardTiling(split, reason):
            return "shards of split \"\(split)\" do not tile it: \(reason)"
        case let .io(path, operation, code):
            return "\(path): \(operation) failed: \(String(cString: strerror(code)))"
        case let .unwritableFolder(path, code):
            return "\(path): the output folder is not writable (\(String(cString: strerror(code)))); the cache, its "
                + "journals and its lock file are written there: choose another output or make the folder writable"
        }
    }
}
