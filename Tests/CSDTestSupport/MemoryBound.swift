import Foundation

/// How much resident memory a piece of code added at its peak, for the hostile-input corpus: a
/// reader that sizes an allocation from a declared 2^31 rows must fail the bound, not pass
/// because the machine happened to have the memory.
///
/// The peak is the kernel's high-water mark (VmHWM), reset to the current resident size before
/// each measurement (`/proc/self/clear_refs`), so an allocation made and freed inside `body` still
/// counts. Tests share one process: measurements hold a lock so that two corpus cases never
/// reset each other's mark, and a case over its bound is measured again before it is reported
/// (another test allocating at the same moment is not the case's doing; a hostile file is
/// over the bound every time).
public enum MemoryBound {
    /// What every case may add whatever its file: buffers, caches, the first use of a library.
    public static let baseBytes = 64 << 20

    /// The bound for a case reading `fileBytes` bytes: the base plus 16 times the files.
    public static func limit(fileBytes: Int) -> Int { baseBytes + 16 * fileBytes }

    /// False where the high-water mark cannot be reset (no /proc): the growth is then measured
    /// against the process's earlier peak, which can hide an allocation below that peak.
    public static let isPrecise: Bool = resetPeak()

    private static let lock = NSLock()

    /// Bytes by which the resident peak during `body` exceeded the resident size before it.
    public static func growth(_ body: () throws -> Void) rethrows -> Int {
        lock.lock()
        defer { lock.unlock() }
        let before = isPrecise && resetPeak() ? status("VmRSS") : status("VmHWM")
        try body()
        return max(0, status("VmHWM") - before)
    }

    /// Runs `body` (which returns a failure or nil) under the bound; a second run confirms a
    /// growth over it. Returns `body`'s failure, or the growth's.
    public static func check(_ name: String, fileBytes: Int, _ body: () -> String?) -> String? {
        var failure: String?
        let limit = limit(fileBytes: fileBytes)
        var grown = growth { failure = body() }
        if grown > limit { grown = growth { _ = body() } }
        if let failure { return failure }
        guard grown <= limit else {
            return "\(name): resident memory grew by \(grown >> 20) MiB, over the bound of \(limit >> 20) MiB for \(fileBytes) bytes of input"
        }
        return nil
    }

    /// Resets VmHWM to VmRSS (Linux 4.0 and later); false where that is not possible.
    private static func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
    }

    /// A "VmXXX: n kB" line of /proc/self/status in bytes (0 where there is none).
    private static func status(_ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let kiB = line.dropFirst(field.count + 1).split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 0
            return kiB * 1024
        }
        return 0
    }
}
