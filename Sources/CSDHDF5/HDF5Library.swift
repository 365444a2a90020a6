import CHDF5

/// Facts about the HDF5 library linked into the process, for logs, provenance and sanity checks.
public enum HDF5Library {
    public struct Version: Comparable, CustomStringConvertible, Sendable {
        public let major: Int, minor: Int, release: Int

        public init(major: Int, minor: Int, release: Int) {
            (self.major, self.minor, self.release) = (major, minor, release)
        }

        public static func < (a: Version, b: Version) -> Bool {
            (a.major, a.minor, a.release) < (b.major, b.minor, b.release)
        }

        public var description: String { "\(major).\(minor).\(release)" }
    }

    /// The run-time library version (H5get_libversion), not the header's.
    public static var version: Version {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        csd_h5_enter()
        let status = H5get_libversion(&major, &minor, &release)
        precondition(status >= 0, "H5get_libversion failed")
        return Version(major: Int(major), minor: Int(minor), release: Int(release))
    }

    /// Whether the build serialises calls behind its global lock, so that threads may call it
    /// concurrently (calls are safe, not parallel).
    public static var isThreadSafe: Bool {
        var threadSafe = false
        csd_h5_enter()
        let status = H5is_library_threadsafe(&threadSafe)
        precondition(status >= 0, "H5is_library_threadsafe failed")
        return threadSafe
    }
}
