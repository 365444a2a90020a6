import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file replacement that a crash cannot leave half written: the bytes go to a temporary
/// file in the same folder, are fsynced, and take the final name by rename(2) (atomic within a
/// file system); the folder is fsynced so the new name survives a power loss too.
public enum AtomicFile {
    public static func replace(_ url: URL, with data: Data) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemCallError("open", temporary.path, errno) }
        var closed = false
        defer { if !closed { close(fd); unlink(temporary.path) } }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SystemCallError("write", temporary.path, errno)
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw SystemCallError("fsync", temporary.path, errno) }
        close(fd)
        closed = true
        guard rename(temporary.path, url.path) == 0 else {
            let code = errno
            unlink(temporary.path)
            throw SystemCallError("rename", url.path, code)
        }
        let dir = open(folder.path, O_RDONLY | O_CLOEXEC)
        if dir >= 0 { _ = fsync(dir); close(dir) }
    }
}
