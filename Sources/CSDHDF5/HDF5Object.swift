import CHDF5

/// Something in an HDF5 file that can carry attributes: the file itself (its root group), a
/// group, or a dataset. Closed when the last Swift reference goes away.
public class HDF5Object: @unchecked Sendable {
    let handle: HDF5Handle
    /// The file this object lives in, as it was opened or created (used in error messages).
    public let filePath: String
    /// The object's path inside the file (`/` for the file and its root group).
    public let name: String

    init(handle: HDF5Handle, filePath: String, name: String) {
        self.handle = handle
        self.filePath = filePath
        self.name = name
    }

    var id: hid_t { handle.id }

    /// The path of a child called `child` (for error messages and child objects).
    func childName(_ child: String) -> String {
        if child.hasPrefix("/") { return child }
        return name == "/" ? "/" + child : name + "/" + child
    }

    /// Throws a clear error instead of handing HDF5 a closed identifier.
    func requireOpen(_ operation: @autoclosure () -> String) throws {
        guard handle.isOpen else {
            throw HDF5Error(path: filePath, operation: operation(), message: "the file has been closed")
        }
    }
}
