#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only file read with `pread`, so that one descriptor serves any offset without a shared
/// cursor. Every short read is an error naming the file: the formats here never end early.
final class FileInput {
    let path: String
    let size: Int
    private let descriptor: Int32

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DatasetError(file: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw DatasetError(file: path, "cannot stat: \(message)")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw DatasetError(file: path, "not a regular file")
        }
        self.path = path
        self.descriptor = fd
        self.size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Reads up to `buffer.count` bytes at `offset`; returns how many (0 at end of file).
    func readSome(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let n = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw DatasetError(file: path, "read failed at offset \(offset): \(String(cString: strerror(errno)))")
        }
    }

    /// Fills `buffer` from `offset`, or throws if the file ends first.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let n = try readSome(at: offset + done, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            guard n > 0 else {
                throw DatasetError(file: path, "unexpected end of file: needed \(buffer.count) bytes at offset \(offset), file has \(size)")
            }
            done += n
        }
    }

    func bytes(at offset: Int, count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// The whole file (for small files: headers, encoded images).
    func readAll() throws -> [UInt8] { try bytes(at: 0, count: size) }
}
