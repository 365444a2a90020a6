import CSDHDF5
import CSDSystem
import CSDTensor
import Foundation

/// Writes one split (or one shard of a split) of a feature cache, crash-safely.
///
/// Rows go to an append-only journal next to the output (`FeatureJournal`: one `pwrite` and one
/// `fdatasync` per batch, CRC per record), never into the HDF5 file. `finish()` builds a new
/// file from the existing file's other splits plus the journal and renames it over the output.
/// So a process killed at any moment leaves the existing file intact and a journal that a new
/// writer with the same request resumes from `committedRows` (no row lost or duplicated).
///
/// Opening checks, in order:
/// - an existing output file must carry equal provenance (else `provenanceMismatch`, or with
///   `overwrite` it is replaced by a file holding only what this writer writes);
/// - a split already complete in it is reported by `isSplitComplete` (nothing to write; with
///   `overwrite` it is written again); one describing other rows is `splitMismatch`;
/// - an unfinished journal must belong to this very request (else `journalMismatch`, or with
///   `overwrite` it is discarded). A matching journal is always resumed, even with
///   `overwrite`: it holds exactly what this request writes.
///
/// One writer per output at a time: `<out>.lock` is held (flock) until `finish()`/`close()`.
/// Several splits written together share one lock and one final build (`FeatureCacheOutput`).
public final class FeatureCacheWriter {
    public struct Options: Sendable {
        /// Compression of the final file's datasets (default none: gzip costs ~20x in time for
        /// 7-15% smaller float tokens, docs/PERFORMANCE.md).
        public var compression: HDF5Compression
        /// Replace mismatching existing data instead of refusing (see the type's doc).
        public var overwrite: Bool
        /// fdatasync the journal after every batch (the crash-safety guarantee; off only for
        /// measurements and throwaway runs: a power loss may then lose acknowledged rows).
        public var syncEachBatch: Bool
        /// Accept NaN and infinity in features (refused by default: they would poison a probe).
        public var allowNonFinite: Bool

        public init(compression: HDF5Compression = .none, overwrite: Bool = false,
                    syncEachBatch: Bool = true, allowNonFinite: Bool = false) {
            self.compression = compression
            self.overwrite = overwrite
            self.syncEachBatch = syncEachBatch
            self.allowNonFinite = allowNonFinite
        }
    }

    public let url: URL
    public let provenance: CacheProvenance
    public let split: FeatureSplitSpec
    /// The source rows this writer covers (the whole split unless sharded).
    public let rowRange: Range<Int>
    public let isShard: Bool
    public let options: Options
    /// The split is complete in the output file: there is nothing to write (skip it).
    public private(set) var isSplitComplete: Bool
    /// Rows durably journaled so far, counted from `rowRange.lowerBound`.
    public private(set) var committedRows: Int
    /// Bytes of a torn journal tail dropped when this writer resumed (for the log).
    public private(set) var discardedJournalBytes: Int
    public var journalURL: URL { FeatureJournal.directory(for: url, split: split.name) }

    /// The next source row to hand to `append`.
    public var nextRow: Int { rowRange.lowerBound + committedRows }
    /// Source rows still to write.
    public var remainingRows: Range<Int> { isSplitComplete ? rowRange.upperBound..<rowRange.upperBound : nextRow..<rowRange.upperBound }

    private var journal: FeatureJournal?
    private var lock: OutputLock?
    /// False when the lock belongs to a `FeatureCacheOutput`, which releases it.
    private let ownsLock: Bool
    /// The existing output has other provenance and `overwrite` was given: do not keep its splits.
    private let replaceExisting: Bool
    private let layout: JournalRecordLayout
    private var staging: [UInt8] = []

    /// Opens the writer of `split` (or of the shard `rowRange` of it) for the cache at `url`.
    public convenience init(url: URL, provenance: CacheProvenance, split: FeatureSplitSpec, rowRange: Range<Int>? = nil,
                            options: Options = Options()) throws {
        try self.init(url: url, provenance: provenance, split: split, rowRange: rowRange, options: options, sharedLock: nil)
    }

    /// `sharedLock`: the output's lock, already held by a `FeatureCacheOutput`.
    init(url: URL, provenance: CacheProvenance, split: FeatureSplitSpec, rowRange: Range<Int>?,
         options: Options, sharedLock: OutputLock?) throws {
        self.url = url
        self.provenance = provenance
        self.split = split
        self.rowRange = rowRange ?? 0..<split.rows
        self.isShard = rowRange != nil
        self.options = options
        self.layout = JournalRecordLayout(featureDim: provenance.featureDim, attributeCount: split.attributeNames.count)
        try Self.validate(url: url, provenance: provenance, split: split, rowRange: self.rowRange)

        let lock = try sharedLock ?? OutputLock(output: url)
        self.lock = lock
        self.ownsLock = sharedLock == nil
        AtomicFile.removeStaleTemporaries(for: url)

        // The existing output file, if any.
        var replaceExisting = false
        var complete = false
        if FileIO.exists(url) {
            do {
                let existing = try FeatureCacheReader(url: url, allowShards: true)
                let differences = provenance.differences(from: existing.provenance)
                if !differences.isEmpty {
                    guard options.overwrite else {
                        throw FeatureCacheError.provenanceMismatch(path: url.path, differences: differences)
                    }
                    replaceExisting = true
                } else if existing.splitNames.contains(split.name) {
                    let info = try existing.splitInfo(split.name)
                    var differences = split.differences(from: info.spec)
                    let wanted = isShard ? self.rowRange : nil
                    if info.rowRange != wanted {
                        differences.append("row range: \(Self.describe(wanted)) vs \(Self.describe(info.rowRange))")
                    }
                    if !differences.isEmpty && !options.overwrite {
                        throw FeatureCacheError.splitMismatch(path: url.path, split: split.name, differences: differences)
                    }
                    complete = differences.isEmpty && info.isComplete && !options.overwrite
                }
            } catch {
                // An unreadable or foreign file is only replaced when asked to.
                let requestError = (error as? FeatureCacheError).map(Self.isRequestError) ?? false
                guard options.overwrite, !requestError else { throw error }
                replaceExisting = true
            }
        }
        self.replaceExisting = replaceExisting
        self.isSplitComplete = complete

        // The journal.
        let header = FeatureJournal.Header(provenance: provenance, split: split,
                                           rowRangeStart: self.rowRange.lowerBound, rowRangeEnd: self.rowRange.upperBound,
                                           sharded: isShard, recordBytes: layout.recordBytes, recordLayout: layout.description)
        let directory = FeatureJournal.directory(for: url, split: split.name)
        if complete {
            // A journal left by a crash after the rename: its rows are in the file already.
            try FeatureJournal.remove(at: directory)
            self.committedRows = self.rowRange.count
            self.discardedJournalBytes = 0
            close()  // nothing to write: do not keep other writers out
            return
        }
        switch FeatureJournal.existing(at: directory) {
        case .header(let found) where found == header:
            let journal = try FeatureJournal.resume(at: directory, header: header, layout: layout)
            self.journal = journal
        case .header(let found):
            guard options.overwrite else {
                throw FeatureCacheError.journalMismatch(path: directory.path, differences: header.differences(from: found))
            }
            try FeatureJournal.remove(at: directory)
        case .undecodable(let reason):
            guard options.overwrite else {
                throw FeatureCacheError.journalMismatch(path: directory.path, differences: ["header.json cannot be read: \(reason)"])
            }
            try FeatureJournal.remove(at: directory)
        case .unfinished:
            // Created but its header never landed: nothing in it was committed.
            try FeatureJournal.remove(at: directory)
        case .none:
            break
        }
        if journal == nil {
            journal = try FeatureJournal.create(at: directory, header: header, layout: layout)
        }
        self.committedRows = journal!.committedRows
        self.discardedJournalBytes = journal!.discardedBytes
    }

    /// Journals one batch: `indices` (source positions), `labels`, `features` [B, D] row-major,
    /// and one value per sample for each of the split's attribute names. Durable on return.
    public func append(indices: [Int], labels: [Int], features: UnsafeBufferPointer<Float>,
                       attributes: [String: [Float]] = [:]) throws {
        guard let journal, !isSplitComplete else {
            throw FeatureCacheError.invalidBatch(path: url.path, reason: "split \"\(split.name)\" is \(isSplitComplete ? "already complete" : "finished or closed")")
        }
        let b = indices.count, dim = provenance.featureDim
        guard labels.count == b, features.count == b * dim else {
            throw FeatureCacheError.invalidBatch(path: url.path, reason: "\(b) indices, \(labels.count) labels and \(features.count) feature values (expected \(b) x \(dim))")
        }
        guard indices.elementsEqual(nextRow..<(nextRow + b)) else {
            throw FeatureCacheError.invalidBatch(path: url.path, reason: "indices must be the next source rows \(nextRow)..<\(nextRow + b) in order")
        }
        guard committedRows + b <= rowRange.count else {
            throw FeatureCacheError.invalidBatch(path: url.path, reason: "\(b) rows after \(committedRows) exceed the \(rowRange.count) rows of \(Self.describe(rowRange))")
        }
        guard Set(attributes.keys) == Set(split.attributeNames) else {
            throw FeatureCacheError.invalidBatch(path: url.path, reason: "attributes \(attributes.keys.sorted()), the split declares \(split.attributeNames.sorted())")
        }
        let attributeColumns = split.attributeNames.map { attributes[$0]! }
        if let bad = attributeColumns.firstIndex(where: { $0.count != b }) {
            throw FeatureCacheError.invalidBatch(path: url.path, reason: "attribute \(split.attributeNames[bad]) has \(attributeColumns[bad].count) values for \(b) rows")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || (!split.classNames.isEmpty && $0 >= split.classNames.count) }) {
            throw FeatureCacheError.invalidBatch(path: url.path, reason: "label \(labels[bad]) of index \(indices[bad]) is outside the \(split.classNames.count) classes")
        }
        if !options.allowNonFinite, let bad = (0..<features.count).first(where: { !features[$0].isFinite }) {
            throw FeatureCacheError.invalidBatch(path: url.path, reason: "non-finite feature \(features[bad]) at index \(indices[bad / dim]), column \(bad % dim)")
        }

        // Encode every record into one buffer: one write and one sync per batch.
        let recordBytes = layout.recordBytes
        if staging.count < b * recordBytes { staging = [UInt8](repeating: 0, count: b * recordBytes) }
        try staging.withUnsafeMutableBytes { buffer in
            for r in 0..<b {
                let record = UnsafeMutableRawBufferPointer(rebasing: buffer[(r * recordBytes)..<((r + 1) * recordBytes)])
                record.storeBytes(of: Int64(indices[r]).littleEndian, toByteOffset: 0, as: Int64.self)
                record.storeBytes(of: Int64(labels[r]).littleEndian, toByteOffset: 8, as: Int64.self)
                UnsafeMutableRawBufferPointer(rebasing: record[layout.featuresOffset..<layout.attributesOffset])
                    .copyMemory(from: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: features[(r * dim)..<((r + 1) * dim)])))
                for (a, column) in attributeColumns.enumerated() {
                    record.storeBytes(of: column[r], toByteOffset: layout.attributesOffset + 4 * a, as: Float.self)
                }
                let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: record[0..<layout.crcOffset]))
                record.storeBytes(of: crc.littleEndian, toByteOffset: layout.crcOffset, as: UInt32.self)
            }
            try journal.append(UnsafeRawBufferPointer(rebasing: buffer[0..<(b * recordBytes)]), count: b,
                               durable: options.syncEachBatch)
        }
        committedRows = journal.committedRows
    }

    /// `features` is [B, D] (or B x D flat).
    public func append(indices: [Int], labels: [Int], features: Tensor, attributes: [String: [Float]] = [:]) throws {
        try features.withUnsafeBufferPointer {
            try append(indices: indices, labels: labels, features: $0, attributes: attributes)
        }
    }

    /// Builds the output from the existing file's other splits plus the journal, replaces the
    /// output atomically, deletes the journal and releases the lock. A no-op when the split was
    /// already complete. Throws `incompleteSplit` before all rows are journaled.
    public func finish() throws {
        if isSplitComplete {
            close()
            return
        }
        let splits = try keptSplits(excluding: [split.name]) + [journaledSplit()]
        try CacheFileBuilder.write(url, provenance: provenance, splits: splits, compression: options.compression)
        try markWritten()
    }

    /// The splits of the existing output that a rebuild keeps: all but `excluded`, none when the
    /// file is being replaced.
    func keptSplits(excluding excluded: Set<String>) throws -> [CacheFileBuilder.Split] {
        guard !replaceExisting && FileIO.exists(url) else { return [] }
        let existing = try FeatureCacheReader(url: url, allowShards: true)
        return try existing.splitNames.filter { !excluded.contains($0) }.map { name in
            let source = try CacheGroupSource(reader: existing, split: name)
            return .init(spec: source.info.spec, rowRange: source.info.rowRange, source: source)
        }
    }

    /// The journal as a split of the file to build, once every row is journaled and durable.
    func journaledSplit() throws -> CacheFileBuilder.Split {
        guard let journal else {
            throw FeatureCacheError.invalidRequest(path: url.path, reason: "the writer is closed")
        }
        guard committedRows == rowRange.count else {
            throw FeatureCacheError.incompleteSplit(path: url.path, split: split.name, committedRows: committedRows,
                                                    rows: split.rows, rowRange: isShard ? rowRange : nil)
        }
        try journal.sync()
        let spec = FeatureSplitSpec(name: split.name, rows: split.rows, classNames: split.classNames,
                                    attributeNames: split.attributeNames.sorted())
        return .init(spec: spec, rowRange: isShard ? rowRange : nil,
                     source: JournalSource(journal: journal, outputAttributeNames: spec.attributeNames))
    }

    /// After the file holding the journal's rows was renamed over the output.
    func markWritten() throws {
        // From here the rows are in the file; a crash before the journal is gone leaves a stale
        // journal that the next writer removes (the split reads as complete).
        try journal?.remove()
        journal = nil
        isSplitComplete = true
        close()
    }

    /// Releases the lock (if this writer holds its own) without finishing; the journal stays
    /// for a later writer to resume.
    public func close() {
        journal = nil
        if ownsLock { lock?.release() }
        lock = nil
    }

    deinit { close() }

    // MARK: Checks

    private static func validate(url: URL, provenance: CacheProvenance, split: FeatureSplitSpec, rowRange: Range<Int>) throws {
        func fail(_ reason: String) -> FeatureCacheError { .invalidRequest(path: url.path, reason: reason) }
        guard FeatureSplitSpec.isValidName(split.name), split.name != CacheSchema.attributesGroup else {
            throw fail("\"\(split.name)\" is not a valid split name (letters, digits, _ - .)")
        }
        guard provenance.schemaVersion == CacheProvenance.currentSchemaVersion else {
            throw fail("schema_version \(provenance.schemaVersion); this build writes \(CacheProvenance.currentSchemaVersion)")
        }
        guard provenance.featureDim > 0 else { throw fail("feature_dim must be positive") }
        guard split.rows >= 0, rowRange.lowerBound >= 0, rowRange.upperBound <= split.rows else {
            throw fail("row range \(describe(rowRange)) is not inside the split's \(split.rows) rows")
        }
        guard Set(split.attributeNames).count == split.attributeNames.count,
              split.attributeNames.allSatisfy(FeatureSplitSpec.isValidName) else {
            throw fail("attribute names \(split.attributeNames) must be unique and use letters, digits, _ - .")
        }
    }

    /// Errors about the request itself, which `overwrite` must not swallow.
    private static func isRequestError(_ error: FeatureCacheError) -> Bool {
        switch error {
        case .busy, .io, .invalidRequest: true
        default: false
        }
    }

    private static func describe(_ range: Range<Int>?) -> String {
        guard let range else { return "whole split" }
        return "\(range.lowerBound)..<\(range.upperBound)"
    }
}
