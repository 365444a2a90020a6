import Foundation

/// A whole file mapped copy-on-write (MAP_PRIVATE, read+write): tensors can point straight into
/// it, and writing through them changes only this process's private pages, never the file.
/// Unmapped when the last holder (file reader or borrowed tensor storage) goes away.
final class MemoryMap: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let count: Int

    /// Maps `path`; files shorter than `minimumSize` are reported without mapping them.
    init(path: String, minimumSize: Int) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SafetensorsError(.io, path: path, "cannot open: \(errnoDescription())")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw SafetensorsError(.io, path: path, "cannot stat: \(errnoDescription())")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw SafetensorsError(.io, path: path, "not a regular file")
        }
        let size = Int(st.st_size)
        guard size >= minimumSize else {
            throw SafetensorsError(.fileTooShort, path: path,
                                   "file is \(size) bytes, shorter than the \(minimumSize)-byte header length")
        }
        let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw SafetensorsError(.io, path: path, "cannot mmap \(size) bytes: \(errnoDescription())")
        }
        base = p
        count = size
    }

    deinit { munmap(base, count) }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
