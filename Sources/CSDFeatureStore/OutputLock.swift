import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive, non-blocking lock on `<out>.lock`, held while a writer or merge works on
/// `<out>`: a second process fails fast instead of interleaving journal records or racing a
/// rename. The kernel drops it when the holder dies, so a SIGKILL never leaves it stuck.
final class OutputLock {
    let url: URL
    private var fd: Int32

    /// Also creates the output's directory if needed (e.g. `cache/` on a first run). A folder
    /// that refuses new files is `unwritableFolder`, before any work starts.
    init(output: URL) throws {
        let path = output.path + ".lock"
        url = URL(fileURLWithPath: path)
        let directory = output.deletingLastPathComponent()
        try FileIO.makeDirectories(directory)
        while true {
            let fd = try FileIO.creatingIn(directory) { try FileIO.open(path, O_RDWR | O_CREAT) }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let code = errno
                if code == ENOSYS || code == EOPNOTSUPP || code == ENOLCK {
                    // A file system without flock (some cluster mounts): the lock only guards
                    // against two writers by mistake, crash safety does not need it.
                    self.fd = fd
                    return
                }
                close(fd)
                if code == EWOULDBLOCK { throw FeatureCacheError.busy(path: output.path) }
                throw FeatureCacheError.io(path: url.path, operation: "lock", code: code)
            }
            // The previous holder unlinks the file on release; if it did so between our open
            // and flock, we hold a lock on a dead inode: retry on the current file.
            var held = stat(), current = stat()
            if fstat(fd, &held) == 0, stat(url.path, &current) == 0,
               held.st_dev == current.st_dev, held.st_ino == current.st_ino {
                self.fd = fd
                return
            }
            close(fd)
        }
    }

    /// Removes the lock file and unlocks (in that order, see init).
    func release() {
        guard fd >= 0 else { return }
        unlink(url.path)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
