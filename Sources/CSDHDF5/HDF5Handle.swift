import CHDF5

/// Owns one HDF5 identifier and closes it exactly once (explicitly or on deinit).
///
/// `parent` keeps the object that the identifier lives in (the file, for a group or dataset)
/// alive, so a file is never closed while one of its objects is still open through Swift.
final class HDF5Handle: @unchecked Sendable {
    private(set) var id: hid_t
    private let closer: (hid_t) -> herr_t
    let parent: AnyObject?

    init(_ id: hid_t, parent: AnyObject?, closer: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.parent = parent
        self.closer = closer
    }

    var isOpen: Bool { id >= 0 }

    /// Closes now; throws if HDF5 refuses (e.g. a file with objects still open).
    func close(path: String, operation: String) throws {
        guard id >= 0 else { return }
        try HDF5Call.status(path, operation) { closer(id) }
        id = -1
    }

    deinit {
        if id >= 0 {
            csd_h5_enter()
            _ = closer(id)
        }
    }
}
