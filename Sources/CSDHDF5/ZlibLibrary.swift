import CZlib

/// The zlib linked into the process (HDF5's gzip filter uses the same library).
public enum ZlibLibrary {
    /// Run-time version string, e.g. "1.2.13".
    public static var version: String { String(cString: zlibVersion()) }
}
