import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file replacement that a crash cannot leave half written: the bytes go to a temporary
/// file in the same folder, are fsynced, and take the final name by rename(2) (atomic within a
/// file system); the folder is fsynced so the new name survives a power loss too. Every file the
/// package replaces goes through here: small files from memory, safetensors files streamed
/// through a descriptor, HDF5 caches created by a library that opens files by name.
///
/// The temporary file is `.<name>.<pid>-<random>.tmp`: hidden, unique per writer (two threads
/// replacing one file do not share it), and naming its process so that a crashed one's leftover
/// can be told from a live writer's (`removeStaleTemporaries`).
public enum AtomicFile {
    /// Replaces `url` with `data`.
    public static func replace(_ url: URL, with data: Data) throws {
        try replace(url) { fd, temporary in
            try data.withUnsafeBytes { try WriteAll.write($0, to: fd, path: temporary.path) }
        }
    }

    /// Replaces `url` with what `body` writes to `fd`, an empty file at `temporary` (a large file
    /// streamed in pieces, never held whole in memory).
    public static func replace(_ url: URL, writing body: (_ fd: Int32, _ temporary: URL) throws -> Void) throws {
        let temporary = temporaryURL(for: url)
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw SystemCallError("open", temporary.path) }
        do {
            defer { close(fd) }
            try body(fd, temporary)
            // fsync on the descriptor that wrote: it is the one sure to see a write-back error.
            guard fsync(fd) == 0 else { throw SystemCallError("fsync", temporary.path) }
        } catch {
            unlink(temporary.path)
            throw error
        }
        try commit(temporary, as: url)
    }

    /// Replaces `url` with the file that `body` creates at `temporary` (nothing is there yet), for
    /// libraries that open files by name (HDF5). `body` closes the file before it returns.
    public static func replace(_ url: URL, creating body: (_ temporary: URL) throws -> Void) throws {
        let temporary = temporaryURL(for: url)
        do {
            try body(temporary)
            let fd = open(temporary.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SystemCallError("open", temporary.path) }
            defer { close(fd) }
            guard fsync(fd) == 0 else { throw SystemCallError("fsync", temporary.path) }
        } catch {
            unlink(temporary.path)
            throw error
        }
        try commit(temporary, as: url)
    }

    /// Removes the temporary files that processes no longer running left for `url` (a crash
    /// before the rename); those of live writers stay. For large outputs, whose leftovers matter.
    public static func removeStaleTemporaries(for url: URL) {
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent)."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let writer = name.dropFirst(prefix.count).prefix { $0 != "-" }
            guard let pid = Int32(writer), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink(folder.appendingPathComponent(name).path)
        }
    }

    private static func temporaryURL(for url: URL) -> URL {
        let unique = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid())-\(unique).tmp")
    }

    /// Renames the synced temporary file over `url`, then syncs the folder. A failing folder sync
    /// is not reported: the complete file is in place by then, only its name's durability across
    /// a power loss is uncertain, and some file systems refuse fsync on folders.
    private static func commit(_ temporary: URL, as url: URL) throws {
        guard rename(temporary.path, url.path) == 0 else {
            let code = errno
            unlink(temporary.path)
            throw SystemCallError("rename", url.path, code)
        }
        let folder = open(url.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        if folder >= 0 { _ = fsync(folder); close(folder) }
    }
}
