import CSDSystem
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The append-only journal of one split being written to `<out>`: the directory
/// `<out>.<split>.journal/` holding
///
/// - `header.json`: what is being written (format, version, provenance, split spec, row range,
///   whether it is a shard, the record layout). Written once, atomically (`AtomicFile`).
/// - `records.bin`: fixed-size records (`JournalRecordLayout`), appended one batch per
///   `pwrite` and made durable with one `fdatasync` per batch.
///
/// A process killed at any moment leaves whole records plus at most a torn tail; reopening
/// keeps the longest prefix of records whose CRCs match and truncates the rest. The final HDF5
/// file is only built from a complete journal, into a temporary file renamed over `<out>`.
final class FeatureJournal {
    struct Header: Codable, Equatable {
        static let formatName = "csd-feature-journal"
        static let currentVersion = 1

        var format = Header.formatName
        var version = Header.currentVersion
        var provenance: CacheProvenance
        var split: FeatureSplitSpec
        var rowRangeStart: Int
        var rowRangeEnd: Int
        var sharded: Bool
        var recordBytes: Int
        var recordLayout: String

        enum CodingKeys: String, CodingKey {
            case format, version, provenance, split, sharded
            case rowRangeStart = "row_range_start"
            case rowRangeEnd = "row_range_end"
            case recordBytes = "record_bytes"
            case recordLayout = "record_layout"
        }

        var rowRange: Range<Int> { rowRangeStart..<rowRangeEnd }

        /// Differing fields, self's value first.
        func differences(from other: Header) -> [String] {
            var out: [String] = []
            if format != other.format || version != other.version {
                out.append("journal format: \(format) v\(version) vs \(other.format) v\(other.version)")
            }
            out += provenance.differences(from: other.provenance)
            out += split.differences(from: other.split)
            if rowRange != other.rowRange || sharded != other.sharded {
                out.append("row range: \(describe(rowRange, sharded)) vs \(describe(other.rowRange, other.sharded))")
            }
            if recordLayout != other.recordLayout || recordBytes != other.recordBytes {
                out.append("record layout: \(recordLayout) vs \(other.recordLayout)")
            }
            return out
        }

        private func describe(_ range: Range<Int>, _ sharded: Bool) -> String {
            "\(range.lowerBound)..<\(range.upperBound)\(sharded ? " (shard)" : "")"
        }
    }

    let directory: URL
    let header: Header
    let layout: JournalRecordLayout
    private(set) var committedRows: Int
    /// Bytes of a torn or corrupt tail removed when the journal was opened.
    private(set) var discardedBytes: Int
    private var fd: Int32
    private var recordsPath: String { directory.appendingPathComponent("records.bin").path }

    static func directory(for output: URL, split: String) -> URL {
        URL(fileURLWithPath: output.path + ".\(split).journal", isDirectory: true)
    }

    /// What is at a journal's path. `unfinished`: a directory without `header.json`, left by a
    /// crash while the journal was created (records are only written after the header lands,
    /// so it holds nothing). `undecodable`: a header this build cannot read (another version).
    enum Existing { case none, unfinished, undecodable(String), header(Header) }

    static func existing(at directory: URL) -> Existing {
        guard FileIO.exists(directory) else { return .none }
        let url = directory.appendingPathComponent("header.json")
        guard let data = try? Data(contentsOf: url) else { return .unfinished }
        do {
            return .header(try JSONDecoder().decode(Header.self, from: data))
        } catch {
            return .undecodable("\(error)")
        }
    }

    /// Starts a new, empty journal (the directory must not exist).
    static func create(at directory: URL, header: Header, layout: JournalRecordLayout) throws -> FeatureJournal {
        if mkdir(directory.path, 0o777) != 0 {
            let code = errno
            if FileIO.isPermissionError(code) {
                throw FeatureCacheError.unwritableFolder(path: directory.deletingLastPathComponent().path, code: code)
            }
            throw FeatureCacheError.io(path: directory.path, operation: "create journal directory", code: code)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(header)
        try FileIO.reporting { try AtomicFile.replace(directory.appendingPathComponent("header.json"), with: data) }
        let journal = try FeatureJournal(directory: directory, header: header, layout: layout)
        try FileIO.syncDirectory(directory)
        try FileIO.syncDirectory(directory.deletingLastPathComponent())
        return journal
    }

    /// Opens a journal whose header equals `header`, keeping its valid records.
    static func resume(at directory: URL, header: Header, layout: JournalRecordLayout) throws -> FeatureJournal {
        let journal = try FeatureJournal(directory: directory, header: header, layout: layout)
        try journal.recover()
        return journal
    }

    private init(directory: URL, header: Header, layout: JournalRecordLayout) throws {
        self.directory = directory
        self.header = header
        self.layout = layout
        self.committedRows = 0
        self.discardedBytes = 0
        self.fd = try FileIO.open(directory.appendingPathComponent("records.bin").path, O_RDWR | O_CREAT)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Counts the records whose CRCs match, from the start, and truncates everything after the
    /// first bad or partial one (only a torn tail, in practice).
    private func recover() throws {
        let size = try FileIO.size(fd, path: recordsPath)
        let recordBytes = layout.recordBytes
        let complete = size / recordBytes
        var valid = 0
        let blockRecords = max(1, (4 << 20) / recordBytes)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockRecords * recordBytes, alignment: 16)
        defer { buffer.deallocate() }
        scan: while valid < complete {
            let n = min(blockRecords, complete - valid)
            let block = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(n * recordBytes)])
            try FileIO.read(fd, into: block, at: valid * recordBytes, path: recordsPath)
            for r in 0..<n {
                let record = UnsafeRawBufferPointer(rebasing: block[(r * recordBytes)..<((r + 1) * recordBytes)])
                if !accepts(record, at: valid) { break scan }
                valid += 1
            }
        }
        if valid > header.rowRange.count {
            throw FeatureCacheError.invalidRequest(
                path: directory.path, reason: "the journal holds \(valid) rows, more than its range of \(header.rowRange.count)")
        }
        committedRows = valid
        discardedBytes = size - valid * recordBytes
        if discardedBytes > 0 {
            try FileIO.truncate(fd, to: valid * recordBytes, path: recordsPath)
            try FileIO.sync(fd, path: recordsPath)
        }
    }

    /// Whether `record` can be the journal's record at `position`: its CRC matches, it holds
    /// source row `rowRange.lowerBound + position` (a writer appends rows in order), and its
    /// label is one of the split's classes. A record with a matching CRC that fails the rest was
    /// not written by this request (a hostile or foreign file); it counts as corrupt, so a
    /// duplicated or reordered record can never put a row twice into the cache.
    func accepts(_ record: UnsafeRawBufferPointer, at position: Int) -> Bool {
        guard layout.isValid(record) else { return false }
        let index = Int64(littleEndian: record.loadUnaligned(fromByteOffset: 0, as: Int64.self))
        let label = Int64(littleEndian: record.loadUnaligned(fromByteOffset: 8, as: Int64.self))
        let classes = header.split.classNames.count
        return index == Int64(header.rowRange.lowerBound + position) && label >= 0 && (classes == 0 || label < Int64(classes))
    }

    /// Appends `count` encoded records with one write, then (if `durable`) one fdatasync.
    func append(_ records: UnsafeRawBufferPointer, count: Int, durable: Bool) throws {
        precondition(records.count == count * layout.recordBytes)
        try FileIO.reporting { try WriteAll.write(records, to: fd, at: committedRows * layout.recordBytes, path: recordsPath) }
        if durable { try FileIO.sync(fd, path: recordsPath) }
        committedRows += count
    }

    /// Makes every appended record durable (used before the journal is turned into a file).
    func sync() throws { try FileIO.sync(fd, path: recordsPath) }

    /// Reads records `rows` (journal positions) into `buffer`, checking each CRC again: the
    /// data goes into the final file, so corruption since it was written must not.
    func readRecords(_ rows: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws {
        let recordBytes = layout.recordBytes
        precondition(buffer.count == rows.count * recordBytes && rows.upperBound <= committedRows)
        try FileIO.read(fd, into: buffer, at: rows.lowerBound * recordBytes, path: recordsPath)
        for r in 0..<rows.count {
            let record = UnsafeRawBufferPointer(rebasing: buffer[(r * recordBytes)..<((r + 1) * recordBytes)])
            if !accepts(record, at: rows.lowerBound + r) {
                throw FeatureCacheError.io(path: recordsPath, operation: "read journal record \(rows.lowerBound + r) (its CRC, row or label does not match)", code: EIO)
            }
        }
    }

    /// Deletes the journal (after its rows are safely in the final file).
    func remove() throws {
        if fd >= 0 { close(fd); fd = -1 }
        try Self.remove(at: directory)
    }

    static func remove(at directory: URL) throws {
        guard FileIO.exists(directory) else { return }
        do {
            try FileManager.default.removeItem(at: directory)
        } catch {
            throw FeatureCacheError.io(path: directory.path, operation: "remove journal", code: EIO)
        }
        try FileIO.syncDirectory(directory.deletingLastPathComponent())
    }
}
