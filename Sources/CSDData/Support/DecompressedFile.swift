import CSDSystem
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A gzip file inflated into a private temporary file (formats such as HDF5 need random access).
/// The temporary file is removed when the last reference goes; a failed inflation removes it at
/// once. The CRC is verified on the way.
final class DecompressedFile: @unchecked Sendable {
    /// The temporary copy.
    let path: String
    /// The gzip file it came from (named in errors).
    let source: String

    /// `directory`: where the copy goes (default: the system temporary folder).
    init(gzip source: String, suffix: String, directory: String? = nil) throws {
        self.source = source
        let folder = directory ?? FileManager.default.temporaryDirectory.path
        let template = joinPath(folder, "csd-XXXXXX\(suffix)")
        var name = Array(template.utf8CString)
        let fd = mkstemps(&name, Int32(suffix.utf8.count))
        guard fd >= 0 else {
            throw DatasetError(file: source, "cannot create a temporary file in \(folder): \(String(cString: strerror(errno)))")
        }
        path = String(cString: name)
        do {
            defer { close(fd) }
            let input = try FileInput(path: source)
            let stream = try InflateStream(input, offset: 0, length: input.size, format: .gzip, label: "gzip stream")
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            try buffer.withUnsafeMutableBytes { chunk in
                while true {
                    let n = try stream.readSome(into: chunk)
                    if n == 0 { break }
                    do {
                        try WriteAll.write(UnsafeRawBufferPointer(rebasing: chunk[0..<n]), to: fd, path: path)
                    } catch let error as SystemCallError {
                        throw DatasetError(file: source, "cannot write the decompressed copy \(path): \(error.message)")
                    }
                }
            }
        } catch {
            unlink(path)
            throw error
        }
    }

    deinit { unlink(path) }
}
