#if canImport(Glibc)
import Glibc
private let posixWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let posixWrite = Darwin.write
#endif

/// Writes a whole buffer to a file descriptor. One write(2) may write less than asked (a signal
/// part way through a large write, a full disk) or fail with EINTR before writing anything, so a
/// file that must be complete needs this loop; every writer in the package uses this one.
public enum WriteAll {
    /// At the descriptor's position (its end, with O_APPEND).
    public static func write(_ bytes: UnsafeRawBufferPointer, to fd: Int32, path: String) throws {
        try loop(bytes, "write", path) { start, count, _ in posixWrite(fd, start, count) }
    }

    /// At `offset`, without moving the descriptor's position (pwrite(2)).
    public static func write(_ bytes: UnsafeRawBufferPointer, to fd: Int32, at offset: Int, path: String) throws {
        try loop(bytes, "pwrite", path) { start, count, done in pwrite(fd, start, count, off_t(offset + done)) }
    }

    private static func loop(_ bytes: UnsafeRawBufferPointer, _ call: String, _ path: String,
                             _ once: (UnsafeRawPointer, Int, Int) -> Int) throws {
        var done = 0
        while done < bytes.count {
            let n = once(bytes.baseAddress! + done, bytes.count - done, done)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError(call, path, errno)
            }
            // A regular file never takes zero bytes of a non-empty write; never spin on it.
            guard n > 0 else { throw SystemCallError(call, path, EIO) }
            done += n
        }
    }
}
