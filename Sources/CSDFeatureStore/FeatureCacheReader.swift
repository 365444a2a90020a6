import CSDHDF5
import CSDSystem
import CSDTensor
import Foundation

/// Reads a feature cache (see `CacheSchema`). Opening checks the provenance; each data access
/// checks that the split exists, is complete and has the shapes and types the schema promises.
///
/// A file without `schema_version` is read as the minimal schema a user writes with h5py:
/// `<split>/features` [N, D] (any float type) and `<split>/labels` [N] (any integer type) are
/// enough; every provenance field is "unknown" unless the root carries it, `index` defaults to
/// 0..<N and class names to "0"..."K-1" (`classNames(_:)`).
public final class FeatureCacheReader: @unchecked Sendable {
    public let url: URL
    public let provenance: CacheProvenance
    /// False for a file of the minimal schema: its provenance fields are placeholders, so
    /// nothing can tell which model or data its tokens came from.
    public let hasProvenance: Bool
    /// Group names at the root, sorted.
    public let splitNames: [String]
    /// Whether shard splits (a row range of the split) may be read as they are.
    public let allowsShards: Bool
    let file: HDF5File

    /// Opens `url` read-only. Shard files are refused at data access unless `allowShards`.
    public init(url: URL, allowShards: Bool = false) throws {
        self.url = url
        self.allowsShards = allowShards
        guard FileIO.exists(url) else { throw FeatureCacheError.io(path: url.path, operation: "open", code: ENOENT) }
        do {
            file = try HDF5File(opening: url.path, mode: .readOnly)
        } catch let error as HDF5Error {
            throw FeatureCacheError.notACache(path: url.path, reason: error.message)
        }
        if try file.hasAttribute(CacheProvenance.CodingKeys.schemaVersion.rawValue) {
            provenance = try Self.readProvenance(file, path: url.path)
            hasProvenance = true
            splitNames = try file.members().filter { $0.kind == .group }.map(\.name)
        } else {
            splitNames = try Self.minimalSplitNames(file)
            provenance = try Self.minimalProvenance(file, splits: splitNames, path: url.path)
            hasProvenance = false
        }
    }

    /// What stands for a provenance field the file does not record.
    public static let unknown = "unknown"

    public var dimension: Int { provenance.featureDim }
    public var dtype: FeatureDType { provenance.dtype }

    /// The split's group attributes.
    public func splitInfo(_ split: String) throws -> FeatureSplitInfo {
        let group = try openSplit(split)
        let path = url.path
        func int(_ name: String) throws -> Int {
            guard try group.hasAttribute(name) else {
                throw FeatureCacheError.malformed(path: path, reason: "split \"\(split)\" has no \(name) attribute")
            }
            return Int(try group.int64Attribute(name))
        }
        // The minimal schema stores no row counts: the features hold them.
        let stored = hasProvenance || !group.contains(CacheSchema.featuresName)
            ? 0 : try group.openDataset(CacheSchema.featuresName).rowCount
        let rows = hasProvenance ? try int(CacheSchema.rowsAttribute) : stored
        let committed = hasProvenance ? try int(CacheSchema.committedRowsAttribute) : stored
        let classNames = try group.hasAttribute(CacheSchema.classNamesAttribute)
            ? group.stringArrayAttribute(CacheSchema.classNamesAttribute) : []
        var rowRange: Range<Int>?
        // Either shard attribute makes a shard: one without the other is malformed, not ignored.
        if try group.hasAttribute(CacheSchema.rowRangeStartAttribute) || group.hasAttribute(CacheSchema.rowRangeEndAttribute) {
            let start = try int(CacheSchema.rowRangeStartAttribute), end = try int(CacheSchema.rowRangeEndAttribute)
            guard 0 <= start, start <= end, end <= rows else {
                throw FeatureCacheError.malformed(path: path, reason: "split \"\(split)\" has row range \(start)..<\(end) of \(rows) rows")
            }
            rowRange = start..<end
        }
        let attributeNames = group.contains(CacheSchema.attributesGroup)
            ? try group.openGroup(CacheSchema.attributesGroup).memberNames() : []
        return FeatureSplitInfo(spec: FeatureSplitSpec(name: split, rows: rows, classNames: classNames,
                                                       attributeNames: attributeNames),
                                committedRows: committed, rowRange: rowRange)
    }

    /// Rows stored for the split (after checking it is complete).
    public func rows(_ split: String) throws -> Int { try readableSplit(split).info.committedRows }

    /// The split's class names; for a cache that names none (the minimal schema), "0"..."K-1"
    /// (`inferredClassNames`).
    public func classNames(_ split: String) throws -> [String] {
        let names = try splitInfo(split).spec.classNames
        return names.isEmpty ? try inferredClassNames() : names
    }

    /// "0"..."K-1" with K the largest label of any split + 1. Only plausible when every class
    /// below K occurs and no label is negative: a stray 99 among 0...9 would make 90 empty
    /// classes, and a corrupt 2^62 an impossible count; both are errors naming the label.
    func inferredClassNames() throws -> [String] {
        var present = Set<Int>()
        for split in splitNames {
            let labels = try self.labels(split)
            if let row = labels.firstIndex(where: { $0 < 0 }) {
                throw FeatureCacheError.malformed(path: url.path, reason: "\(split)/labels row \(row) is \(labels[row]); labels count classes from 0")
            }
            present.formUnion(labels)
        }
        guard let largest = present.max() else { return [] }
        guard present.count == largest + 1 else {
            let missing = (0..<largest).first { !present.contains($0) }!
            throw FeatureCacheError.malformed(
                path: url.path, reason: "no class_names attribute, and the labels do not define the classes: the largest "
                    + "is \(largest) but only \(present.count) distinct labels occur (class \(missing) has no sample); fix the "
                    + "labels or name the classes with a class_names attribute on the split groups")
        }
        return (0...largest).map(String.init)
    }

    /// All features of the split as float32 [N, D] (float16 files are converted).
    public func features(_ split: String) throws -> Tensor {
        let rows = try readableSplit(split).info.committedRows
        return try features(split, rows: 0..<rows)
    }

    /// Features of `rows` (positions in the file's split) as float32 [rows.count, D].
    public func features(_ split: String, rows: Range<Int>) throws -> Tensor {
        let opened = try readableSplit(split)
        guard rows.lowerBound >= 0, rows.upperBound <= opened.info.committedRows else {
            throw FeatureCacheError.invalidRequest(
                path: url.path, reason: "rows \(rows.lowerBound)..<\(rows.upperBound) of split \"\(split)\" with \(opened.info.committedRows) rows")
        }
        var tensor = Tensor(uninitializedShape: [rows.count, dimension])
        try tensor.withUnsafeMutableBufferPointer { out in
            try readFeatures(opened.features, rows, into: out)
        }
        return tensor
    }

    public func labels(_ split: String) throws -> [Int] {
        let labels = try readableSplit(split).labels
        return try reading(labels, 0..<labels.rowCount) { try labels.read(as: Int64.self).map { Int($0) } }
    }

    /// Each row's position in the source split.
    public func indices(_ split: String) throws -> [Int] {
        let opened = try readableSplit(split)
        guard let index = opened.index else { return Array(0..<opened.info.committedRows) }
        return try reading(index, 0..<opened.info.committedRows) { try index.read(as: Int64.self).map { Int($0) } }
    }

    /// The per-sample attributes by name (empty when the split has none).
    public func attributes(_ split: String) throws -> [String: [Float]] {
        let opened = try readableSplit(split)
        var out: [String: [Float]] = [:]
        for (name, dataset) in try attributeDatasets(opened) {
            out[name] = try reading(dataset, 0..<opened.info.committedRows) { try dataset.read(as: Float.self) }
        }
        return out
    }

    /// Throws `nonFinite` at the first NaN or infinity in any split's features.
    public func validateFinite() throws {
        for split in splitNames {
            let dim = dimension
            try forEachFeatureBlock(split) { range, values in
                for i in 0..<values.count where !values[i].isFinite {
                    throw FeatureCacheError.nonFinite(path: url.path, split: split, row: range.lowerBound + i / dim,
                                                      column: i % dim, value: values[i])
                }
            }
        }
    }

    /// Reads every feature of the split in blocks of about 8 MiB (rows, values [rows.count, D]).
    public func forEachFeatureBlock(_ split: String, _ body: (Range<Int>, UnsafeBufferPointer<Float>) throws -> Void) throws {
        let opened = try readableSplit(split)
        let rows = opened.info.committedRows, dim = dimension
        let blockRows = max(1, (8 << 20) / max(1, dim * 4))
        var start = 0
        var block = [Float](repeating: 0, count: min(blockRows, rows) * dim)
        while start < rows {
            let range = start..<min(rows, start + blockRows)
            try block.withUnsafeMutableBufferPointer { buffer in
                let out = UnsafeMutableBufferPointer(rebasing: buffer[0..<(range.count * dim)])
                try readFeatures(opened.features, range, into: out)
                try body(range, UnsafeBufferPointer(out))
            }
            start = range.upperBound
        }
    }

    // MARK: Internals shared with the writer and the merge

    /// A split's datasets, checked against the schema.
    struct OpenedSplit {
        let info: FeatureSplitInfo
        let group: HDF5Group
        let features: HDF5Dataset
        let labels: HDF5Dataset
        /// Absent in the minimal schema (rows are then in source order).
        let index: HDF5Dataset?
    }

    func openSplit(_ split: String) throws -> HDF5Group {
        guard splitNames.contains(split) else {
            throw FeatureCacheError.missingSplit(path: url.path, split: split, available: splitNames)
        }
        return try file.openGroup(split)
    }

    /// The split, refused if incomplete (or a shard, unless shards are allowed).
    func readableSplit(_ split: String) throws -> OpenedSplit {
        let info = try splitInfo(split)
        if !info.isComplete || (info.isShard && !allowsShards) {
            throw FeatureCacheError.incompleteSplit(path: url.path, split: split, committedRows: info.committedRows,
                                                    rows: info.spec.rows, rowRange: info.rowRange)
        }
        let group = try openSplit(split)
        let path = url.path
        func dataset(_ name: String, _ shape: [Int], _ types: [HDF5ElementType]) throws -> HDF5Dataset {
            guard group.contains(name) else {
                throw FeatureCacheError.malformed(path: path, reason: "split \"\(split)\" has no \(name) dataset")
            }
            let d = try group.openDataset(name)
            let actual = try d.shape
            guard actual == shape, types.contains(d.elementType) else {
                throw FeatureCacheError.malformed(
                    path: path, reason: "\(split)/\(name) is \(d.elementType.rawValue) \(actual), expected \(types.map(\.rawValue).joined(separator: "|")) \(shape)")
            }
            do { try d.requireStorageFitsShape() } catch let error as HDF5Error {
                throw FeatureCacheError.malformed(path: path, reason: "\(split)/\(name): \(error.message)")
            }
            return d
        }
        let n = info.committedRows
        guard hasProvenance else {
            // The minimal schema: whatever h5py writes by default (float64 numpy arrays, int64 or
            // narrower labels) is converted on read.
            return OpenedSplit(info: info, group: group,
                               features: try dataset(CacheSchema.featuresName, [n, dimension], Self.floatTypes),
                               labels: try dataset(CacheSchema.labelsName, [n], Self.integerTypes),
                               index: group.contains(CacheSchema.indexName)
                                   ? try dataset(CacheSchema.indexName, [n], Self.integerTypes) : nil)
        }
        let featureType: HDF5ElementType = dtype == .f32 ? .float32 : .float16
        return OpenedSplit(info: info, group: group,
                           features: try dataset(CacheSchema.featuresName, [n, dimension], [featureType]),
                           labels: try dataset(CacheSchema.labelsName, [n], [.int64]),
                           index: try dataset(CacheSchema.indexName, [n], [.int64]))
    }

    /// The split's attribute datasets by name (sorted), each checked to be float32 [N].
    func attributeDatasets(_ opened: OpenedSplit) throws -> [(String, HDF5Dataset)] {
        guard opened.group.contains(CacheSchema.attributesGroup) else { return [] }
        let group = try opened.group.openGroup(CacheSchema.attributesGroup)
        return try group.memberNames().map { name in
            let d = try group.openDataset(name)
            guard try d.shape == [opened.info.committedRows], d.elementType == .float32 else {
                throw FeatureCacheError.malformed(
                    path: url.path, reason: "\(opened.info.name)/attributes/\(name) is \(d.elementType.rawValue) \(try d.shape), expected float32 [\(opened.info.committedRows)]")
            }
            return (name, d)
        }
    }

    /// Reads features as float32, converting float16 in blocks (HDF5 converts float64).
    func readFeatures(_ dataset: HDF5Dataset, _ rows: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) throws {
        if dataset.elementType != .float16 {
            try reading(dataset, rows) { try dataset.readRows(rows, into: out) }
            return
        }
        let dim = dimension, blockRows = max(1, (4 << 20) / max(1, dim * 2))
        var half = [UInt16](repeating: 0, count: min(rows.count, blockRows) * dim)
        var start = rows.lowerBound
        while start < rows.upperBound {
            let block = start..<min(rows.upperBound, start + blockRows)
            let n = block.count * dim, offset = (start - rows.lowerBound) * dim
            try half.withUnsafeMutableBufferPointer { buffer in
                let raw = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[0..<(n * 2)])
                try reading(dataset, block) { try dataset.readRows(block, into: raw, as: .float16) }
                for i in 0..<n { out[offset + i] = HalfPrecision.float(fromHalf: buffer[i]) }
            }
            start = block.upperBound
        }
    }

    /// What the minimal schema accepts (HDF5 converts on read).
    static let floatTypes: [HDF5ElementType] = [.float16, .float32, .float64]
    static let integerTypes: [HDF5ElementType] = [.int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64]

    /// The root groups holding a `features` data set (other groups are not splits).
    /// Runs a read of `rows` of `dataset`, reporting a failed chunk checksum as `corrupt`.
    func reading<R>(_ dataset: HDF5Dataset, _ rows: Range<Int>, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as HDF5Error where error.isChecksumFailure {
            let name = dataset.name.hasPrefix("/") ? String(dataset.name.dropFirst()) : dataset.name
            throw FeatureCacheError.corrupt(path: url.path, dataset: name, rows: rows)
        }
    }

    static func minimalSplitNames(_ file: HDF5File) throws -> [String] {
        try file.members().filter { $0.kind == .group }.map(\.name).filter { name in
            (try? file.openGroup(name).kind(of: CacheSchema.featuresName)) == .dataset
        }
    }

    /// The provenance of a minimal-schema file: root attributes where present, else "unknown";
    /// dtype and dimension from the first split's features.
    static func minimalProvenance(_ file: HDF5File, splits: [String], path: String) throws -> CacheProvenance {
        typealias Key = CacheProvenance.CodingKeys
        guard let first = splits.first else {
            throw FeatureCacheError.notACache(path: path, reason: "no schema_version attribute, and no <split>/features data set "
                                              + "(the minimal schema: train/features, train/labels, test/features, test/labels)")
        }
        let features = try file.openGroup(first).openDataset(CacheSchema.featuresName)
        let shape = try features.shape
        guard shape.count == 2, floatTypes.contains(features.elementType) else {
            throw FeatureCacheError.malformed(path: path, reason: "\(first)/features is \(features.elementType.rawValue) \(shape), "
                                              + "expected floats [rows, dimension]")
        }
        func string(_ key: Key) -> String {
            (try? file.hasAttribute(key.rawValue)) == true ? (try? file.stringAttribute(key.rawValue)) ?? unknown : unknown
        }
        return CacheProvenance(schemaVersion: 0, modelID: string(.modelID), weightsSHA256: string(.weightsSHA256),
                               token: string(.token), preprocessing: string(.preprocessing), datasetID: string(.datasetID),
                               datasetFingerprint: string(.datasetFingerprint), toolVersion: string(.toolVersion),
                               dtype: features.elementType == .float16 ? .f16 : .f32, featureDim: shape[1])
    }

    static func readProvenance(_ file: HDF5File, path: String) throws -> CacheProvenance {
        typealias Key = CacheProvenance.CodingKeys
        let version = try Int(file.int64Attribute(Key.schemaVersion.rawValue))
        guard version == CacheProvenance.currentSchemaVersion else {
            throw FeatureCacheError.unsupportedSchema(path: path, version: version)
        }
        // Every missing root attribute at once: a user assembling a cache by hand fixes them in one go.
        let required: [Key] = [.modelID, .weightsSHA256, .token, .preprocessing, .datasetID, .datasetFingerprint,
                               .toolVersion, .dtype, .featureDim]
        let missing = try required.filter { !(try file.hasAttribute($0.rawValue)) }.map(\.rawValue)
        guard missing.isEmpty else {
            throw FeatureCacheError.malformed(path: path, reason: "missing root attribute\(missing.count == 1 ? "" : "s") "
                                              + missing.joined(separator: ", ") + " (docs/ARCHITECTURE.md lists the schema)")
        }
        func string(_ key: Key) throws -> String { try file.stringAttribute(key.rawValue) }
        guard let dtype = FeatureDType(rawValue: try string(.dtype)) else {
            throw FeatureCacheError.malformed(path: path, reason: "dtype \"\(try string(.dtype))\" is not f32 or f16")
        }
        // Optional: caches from before it was recorded are fp32.
        var precision = MatmulPrecision.fp32
        if try file.hasAttribute(Key.matmulPrecision.rawValue) {
            let text = try string(.matmulPrecision)
            guard let value = MatmulPrecision(rawValue: text) else {
                throw FeatureCacheError.malformed(path: path, reason: "matmul_precision \"\(text)\" is not fp32 or bf16")
            }
            precision = value
        }
        return CacheProvenance(schemaVersion: version, modelID: try string(.modelID),
                               weightsSHA256: try string(.weightsSHA256), token: try string(.token),
                               preprocessing: try string(.preprocessing), datasetID: try string(.datasetID),
                               datasetFingerprint: try string(.datasetFingerprint),
                               toolVersion: try string(.toolVersion), dtype: dtype,
                               featureDim: Int(try file.int64Attribute(Key.featureDim.rawValue)),
                               matmulPrecision: precision)
    }
}
