import CSDSystem
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX calls the journal and the lock need, with errors that name the file. Writing
/// and atomic replacement are CSDSystem's (`WriteAll`, `AtomicFile`), through `reporting`.
enum FileIO {
    /// Runs `body`, reporting CSDSystem's errors as the feature store's.
    static func reporting<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as SystemCallError {
            throw FeatureCacheError.io(path: error.path, operation: error.call, code: error.code)
        }
    }

    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        let fd = Foundation.open(path, flags | O_CLOEXEC, mode)
        if fd < 0 { throw FeatureCacheError.io(path: path, operation: "open", code: errno) }
        return fd
    }

    /// pread exactly `bytes.count` bytes (the caller knows they exist).
    static func read(_ fd: Int32, into bytes: UnsafeMutableRawBufferPointer, at offset: Int, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = pread(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FeatureCacheError.io(path: path, operation: "read", code: errno)
            }
            if n == 0 { throw FeatureCacheError.io(path: path, operation: "read (unexpected end of file)", code: EIO) }
            done += n
        }
    }

    /// Data (and the size) reach the disk. fdatasync skips the timestamps, which we never need.
    static func sync(_ fd: Int32, path: String) throws {
        #if os(Linux)
        let status = fdatasync(fd)
        #else
        let status = fsync(fd)
        #endif
        if status != 0 { throw FeatureCacheError.io(path: path, operation: "fsync", code: errno) }
    }

    /// Makes a directory's entries (a created, renamed or removed file) durable.
    static func syncDirectory(_ url: URL) throws {
        let fd = try open(url.path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        if fsync(fd) != 0 { throw FeatureCacheError.io(path: url.path, operation: "fsync directory", code: errno) }
    }

    static func size(_ fd: Int32, path: String) throws -> Int {
        var info = stat()
        if fstat(fd, &info) != 0 { throw FeatureCacheError.io(path: path, operation: "stat", code: errno) }
        return Int(info.st_size)
    }

    static func truncate(_ fd: Int32, to length: Int, path: String) throws {
        if ftruncate(fd, off_t(length)) != 0 { throw FeatureCacheError.io(path: path, operation: "truncate", code: errno) }
    }

    static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    /// Creates `url` and its missing parents (mkdir -p), naming the folder that refuses it.
    static func makeDirectories(_ url: URL) throws {
        do {
            try OutputFolder.create(url)
        } catch let error as OutputFolder.Unwritable {
            throw FeatureCacheError.unwritableFolder(path: error.path, code: error.code)
        } catch let error as SystemCallError {
            throw FeatureCacheError.io(path: error.path, operation: "create directory", code: error.code)
        }
    }

    /// Runs `body`, which creates a file or folder in `folder`; a permission or read-only file
    /// system error becomes `unwritableFolder` naming the folder.
    static func creatingIn<R>(_ folder: URL, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let FeatureCacheError.io(_, _, code) where isPermissionError(code) {
            throw FeatureCacheError.unwritableFolder(path: folder.path, code: code)
        }
    }

    static func isPermissionError(_ code: Int32) -> Bool { OutputFolder.isPermissionError(code) }
}
