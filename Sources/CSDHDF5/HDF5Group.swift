import CHDF5

/// An HDF5 group (other than the root, which is the `HDF5File` itself).
public final class HDF5Group: HDF5Container, @unchecked Sendable {}
