import CHDF5
import Foundation

/// An open HDF5 file. The file object is also its root group: create and open groups and
/// datasets, and read and write the root attributes, directly on it.
///
/// The file is opened with the "semi" close degree: `close()` fails while a group or dataset
/// of the file is still referenced, instead of silently leaving the file open (which would let
/// a caller rename or fsync a file whose data is not yet written). Deinit closes quietly; it
/// only runs after every child object has gone, since children keep their file alive.
public final class HDF5File: HDF5Container, @unchecked Sendable {
    public enum CreateMode: Sendable {
        /// Fail if the file exists.
        case exclusive
        /// Replace an existing file.
        case truncate
    }

    public enum AccessMode: Sendable {
        case readOnly
        case readWrite
    }

    /// Creates a new file at `path`.
    public init(creating path: String, mode: CreateMode = .exclusive) throws {
        let fapl = try HDF5File.accessList(path: path)
        defer { H5Pclose(fapl) }
        let flags = mode == .exclusive ? csd_h5f_acc_excl() : csd_h5f_acc_trunc()
        let id = try HDF5Call.id(path, "create file") { H5Fcreate(path, flags, csd_h5p_default(), fapl) }
        super.init(handle: HDF5Handle(id, parent: nil, closer: H5Fclose), filePath: path, name: "/")
    }

    /// Opens an existing file.
    public init(opening path: String, mode: AccessMode = .readOnly) throws {
        // A clearer message than HDF5's "file signature not found" for the two common mistakes.
        guard FileManager.default.fileExists(atPath: path) else {
            throw HDF5Error(path: path, operation: "open file", message: "no such file")
        }
        csd_h5_enter()
        if H5Fis_hdf5(path) <= 0 {
            _ = HDF5Call.error(path, "open file")  // clears the stack
            throw HDF5Error(path: path, operation: "open file", message: "not an HDF5 file")
        }
        let fapl = try HDF5File.accessList(path: path)
        defer { H5Pclose(fapl) }
        let flags = mode == .readOnly ? csd_h5f_acc_rdonly() : csd_h5f_acc_rdwr()
        let id = try HDF5File.openRetryingBriefLocks(path: path) { H5Fopen(path, flags, fapl) }
        super.init(handle: HDF5Handle(id, parent: nil, closer: H5Fclose), filePath: path, name: "/")
    }

    public convenience init(creating url: URL, mode: CreateMode = .exclusive) throws {
        try self.init(creating: url.path, mode: mode)
    }

    public convenience init(opening url: URL, mode: AccessMode = .readOnly) throws {
        try self.init(opening: url.path, mode: mode)
    }

    public var isOpen: Bool { handle.isOpen }

    /// Writes HDF5's buffered data and metadata to the operating system (not an fsync).
    public func flush() throws {
        try requireOpen("flush")
        try HDF5Call.status(filePath, "flush") { H5Fflush(id, H5F_SCOPE_GLOBAL) }
    }

    /// Flushes and closes. Fails if a group or dataset of this file is still referenced.
    public func close() throws {
        guard handle.isOpen else { return }
        try flush()
        try handle.close(path: filePath, operation: "close file (are groups or datasets still open?)")
    }

    /// Opens with `open`, retrying for a moment while another process holds the file's lock.
    ///
    /// A lock can be held for microseconds by a process that is only being spawned (the child
    /// shares the parent's descriptors until it execs), so a conflict is retried for up to
    /// half a second before it is reported; a writer that really holds the file is named as such.
    private static func openRetryingBriefLocks(path: String, _ open: () -> hid_t) throws -> hid_t {
        var attempt = 0
        while true {
            do {
                return try HDF5Call.id(path, "open file") { open() }
            } catch let error as HDF5Error where error.message.contains("unable to lock") {
                attempt += 1
                if attempt >= 50 {
                    throw HDF5Error(path: path, operation: "open file",
                                    message: "the file is locked by another process (is a run still writing it?)")
                }
                usleep(10_000)
            }
        }
    }

    private static func accessList(path: String) throws -> hid_t {
        let fapl = try HDF5Call.id(path, "create file access list") { H5Pcreate(csd_h5p_file_access()) }
        do {
            try HDF5Call.status(path, "set close degree") { H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI) }
            // HDF5's own file locks, but best effort: on file systems without flock (some
            // cluster mounts) opening still works instead of failing with errno 38.
            try HDF5Call.status(path, "set file locking") { H5Pset_file_locking(fapl, true, true) }
        } catch {
            H5Pclose(fapl)
            throw error
        }
        return fapl
    }
}
