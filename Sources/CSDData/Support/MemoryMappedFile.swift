#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only. Immutable once created, so splits share it across threads;
/// unmapped when the last reference goes.
final class MemoryMappedFile: @unchecked Sendable {
    let path: String
    let size: Int
    private let base: UnsafeRawPointer?

    init(path: String) throws {
        let input = try FileInput(path: path)
        self.path = path
        self.size = input.size
        guard size > 0 else {
            base = nil
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DatasetError(file: path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw DatasetError(file: path, "cannot memory-map: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(address)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// The bytes `[offset, offset + count)`, which the caller has checked lie inside the file.
    func withBytes<R>(offset: Int, count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(offset >= 0 && count >= 0 && offset + count <= size, "range outside \(path)")
        guard let base else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + offset, count: count))
    }
}
