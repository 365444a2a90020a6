import CSDSystem
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `results.jsonl` of one sweep folder: one `RunResult` per line, appended as runs finish.
///
/// Crash safety: each row is written with a single `write` of the whole line (JSON + "\n")
/// under an exclusive `flock`, then `fsync`ed, so a sweep killed at any point leaves at most one
/// torn line, and only at the end of the file. Readers skip and report that line; the next
/// `append` cuts it off before writing, so the file never carries a torn line in its middle (and
/// stays readable by `pandas.read_json(lines=True)`). The run it belonged to is not in the
/// finished set and is simply run again.
public struct ResultsStore: Sendable {
    public static let fileName = "results.jsonl"

    public let directory: URL
    public var fileURL: URL { directory.appendingPathComponent(Self.fileName) }

    public init(directory: URL) { self.directory = directory }

    /// Appends one row and makes it durable before returning.
    public func append(_ row: RunResult) throws {
        var line = try Self.encode(row)
        line.append(0x0A)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let fd = open(fileURL.path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemCallError("open", fileURL.path, errno) }
        defer { close(fd) }
        // Serialises writers (parallel workers sharing one folder): the repair below and the
        // append must not interleave with another process's.
        guard flock(fd, LOCK_EX) == 0 else { throw SystemCallError("flock", fileURL.path, errno) }
        defer { flock(fd, LOCK_UN) }
        try repairTornTail(fd)
        // One write carries the whole line; WriteAll only finishes a short write (a full disk or
        // a signal), which a crash could tear anyway and readers tolerate.
        try line.withUnsafeBytes { try WriteAll.write($0, to: fd, path: fileURL.path) }
        guard fsync(fd) == 0 else { throw SystemCallError("fsync", fileURL.path, errno) }
    }

    /// Every readable row, in file order, with what had to be skipped. A missing file reads as
    /// no rows (a sweep that has not finished a run yet).
    public func read() throws -> Readout {
        guard FileManager.default.fileExists(atPath: fileURL.path) else { return Readout(rows: []) }
        return Self.parse(try Data(contentsOf: fileURL))
    }

    /// The runIDs already in the file: a resumed sweep skips these cells.
    public func finishedRunIDs() throws -> Set<String> {
        Set(try read().rows.map(\.runID))
    }

    // MARK: - Encoding

    /// Compact, key-sorted JSON on one line: equal rows give equal bytes, and no newline can
    /// appear inside (JSON escapes them in strings). A non-finite number (a run with no
    /// evaluation has a NaN error) is written as the string "NaN"/"Infinity" rather than failing
    /// the sweep; pandas reads it back with `pd.to_numeric`.
    static func encode(_ row: RunResult) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(row)
    }

    static func decode(_ data: Data) -> RunResult? {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try? decoder.decode(RunResult.self, from: data)
    }

    /// Splits file bytes into rows. Lines are split on "\n" only (JSON strings cannot hold a raw
    /// one); blank lines are ignored; a last line without its "\n" that does not decode is the
    /// torn tail of a killed writer; any other undecodable line is reported as damaged.
    static func parse(_ data: Data) -> Readout {
        var readout = Readout(rows: [])
        let bytes = [UInt8](data)
        var start = 0
        var lineNumber = 0
        while start < bytes.count {
            lineNumber += 1
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            let terminated = end < bytes.count
            let slice = bytes[start..<end]
            start = end + 1
            if slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            if let row = decode(Data(slice)) {
                readout.rows.append(row)
            } else if !terminated {
                readout.tornLastLine = String(decoding: slice, as: UTF8.self)
            } else {
                readout.damagedLines.append(lineNumber)
            }
        }
        return readout
    }

    /// Drops an unterminated last line left by a killed writer. A tail that is a complete row
    /// (killed between the JSON and its "\n") keeps its data and only gets the "\n".
    private func repairTornTail(_ fd: Int32) throws {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return }
        var last: UInt8 = 0
        guard pread(fd, &last, 1, size - 1) == 1 else { throw SystemCallError("pread", fileURL.path, errno) }
        if last == 0x0A { return }
        // Read back to the previous newline (a row is a few kB, so this is cheap).
        var tailStart = size
        var chunk = [UInt8](repeating: 0, count: 4096)
        var tail: [UInt8] = []
        search: while tailStart > 0 {
            let from = max(0, tailStart - off_t(chunk.count))
            let count = Int(tailStart - from)
            guard pread(fd, &chunk, count, from) == count else {
                throw SystemCallError("pread", fileURL.path, errno)
            }
            for i in stride(from: count - 1, through: 0, by: -1) where chunk[i] == 0x0A {
                tail.insert(contentsOf: chunk[(i + 1)..<count], at: 0)
                tailStart = from + off_t(i + 1)
                break search
            }
            tail.insert(contentsOf: chunk[0..<count], at: 0)
            tailStart = from
        }
        if Self.decode(Data(tail)) != nil {
            try [UInt8(0x0A)].withUnsafeBytes { try WriteAll.write($0, to: fd, path: fileURL.path) }
        } else {
            guard ftruncate(fd, tailStart) == 0 else { throw SystemCallError("ftruncate", fileURL.path, errno) }
        }
    }
}
