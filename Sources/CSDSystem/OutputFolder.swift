import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder a command writes into (`extract --out`'s parent, `probe --out`), made and checked
/// before any work starts: a folder that refuses files is one error naming it, not a system
/// error from the first write, after the work.
public enum OutputFolder {
    /// A folder that refuses new files: its permissions, or a read-only file system.
    public struct Unwritable: Error, CustomStringConvertible, Equatable, Sendable {
        public let path: String
        public let code: Int32
        public init(path: String, code: Int32) { self.path = path; self.code = code }
        public var description: String {
            "\(path): the output folder is not writable (\(String(cString: strerror(code)))); choose another output or make the folder writable"
        }
    }

    public static func isPermissionError(_ code: Int32) -> Bool { code == EACCES || code == EPERM || code == EROFS }

    /// Creates `url` and its missing parents (mkdir -p). `Unwritable` names the existing folder
    /// that refused a new one; another failure is `SystemCallError("mkdir", url)`.
    public static func create(_ url: URL) throws {
        let path = url.standardizedFileURL.path
        guard !FileManager.default.fileExists(atPath: path), path != "/" else { return }
        let parent = url.standardizedFileURL.deletingLastPathComponent()
        try create(parent)
        if mkdir(path, 0o777) != 0 && errno != EEXIST {
            let code = errno
            if isPermissionError(code) { throw Unwritable(path: parent.path, code: code) }
            throw SystemCallError("mkdir", path, code)
        }
    }

    /// `create`, then checks that the folder takes new files (root's writes ignore the folder's
    /// mode, so as root only a read-only file system is refused).
    public static func prepare(_ url: URL) throws {
        try create(url)
        if access(url.path, W_OK | X_OK) != 0 {
            let code = errno
            throw isPermissionError(code) ? Unwritable(path: url.path, code: code) : SystemCallError("access", url.path, code)
        }
    }
}
