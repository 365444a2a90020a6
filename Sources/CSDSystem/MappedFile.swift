#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped into memory: readers index its bytes in place, with no copy and no read
/// calls, and the kernel pages in only what they touch (a data set or a checkpoint of many GB).
/// Immutable once made, so threads share it; unmapped when the last reference goes (tensors that
/// borrow the mapping hold it as their owner).
public final class MappedFile: @unchecked Sendable {
    public enum Access: Sendable {
        /// Pages that cannot be written.
        case readOnly
        /// Writable pages private to this process (MAP_PRIVATE): a write copies the page, and the
        /// file never changes (borrowed checkpoint tensors may be updated in place).
        case copyOnWrite
    }

    public let path: String
    /// The file's size in bytes.
    public let count: Int
    /// The first byte; nil for an empty file (mmap cannot map zero bytes). Writable only with
    /// `.copyOnWrite`.
    public let base: UnsafeMutableRawPointer?

    /// Maps the regular file at `path`; anything else (a folder, a device) is refused.
    public init(path: String, access: Access = .readOnly) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError("open", path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemCallError("fstat", path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw SystemCallError("open", path, refusing: "not a regular file") }
        self.path = path
        count = Int(info.st_size)
        guard count > 0 else {
            base = nil
            return
        }
        let protection = access == .readOnly ? PROT_READ : PROT_READ | PROT_WRITE
        let address = mmap(nil, count, protection, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else { throw SystemCallError("mmap", path) }
        base = address
    }

    deinit {
        if let base { munmap(base, count) }
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// The bytes `[offset, offset + count)`, which the caller has checked lie inside the file.
    public func withBytes<R>(offset: Int, count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(offset >= 0 && count >= 0 && offset + count <= self.count, "range outside \(path)")
        guard let base else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + offset, count: count))
    }
}
