import CHDF5

/// A failed HDF5 call: which file, which operation, and what the library's error stack said.
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    /// The file the operation was on (as given when it was opened or created).
    public let path: String
    /// What CSDHDF5 was doing, e.g. `open dataset "train/features"`.
    public let operation: String
    /// The HDF5 error stack, outermost call first, or our own explanation.
    public let message: String

    public init(path: String, operation: String, message: String) {
        self.path = path
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(path): \(operation) failed: \(message)" }

    /// A read that failed because a chunk's Fletcher32 checksum did not match its bytes.
    public var isChecksumFailure: Bool { message.lowercased().contains("fletcher32") }
}

/// Runs HDF5 calls with the automatic error printing off and turns failures into `HDF5Error`.
///
/// HDF5 keeps the error stack, and the auto-print setting, per thread in the thread-safe build,
/// so every call silences printing on its own thread first (cheap: one locked store).
enum HDF5Call {
    /// Runs `body`, which returns an id; a negative id throws with the error stack's message.
    @discardableResult
    static func id(_ path: String, _ operation: @autoclosure () -> String, _ body: () -> hid_t) throws -> hid_t {
        csd_h5_enter()
        let result = body()
        if result < 0 { throw error(path, operation()) }
        return result
    }

    /// Runs `body`, which returns a status (or a count); a negative value throws.
    @discardableResult
    static func status<T: BinaryInteger>(_ path: String, _ operation: @autoclosure () -> String,
                                         _ body: () -> T) throws -> T {
        csd_h5_enter()
        let result = body()
        if result < 0 { throw error(path, operation()) }
        return result
    }

    /// The current thread's error stack as an `HDF5Error` (and clears the stack).
    static func error(_ path: String, _ operation: String) -> HDF5Error {
        var buffer = [CChar](repeating: 0, count: 2048)
        let length = buffer.withUnsafeMutableBufferPointer { csd_h5e_collect($0.baseAddress, $0.count) }
        // One line: some HDF5 descriptions carry newlines (a failed write lists its arguments).
        let message = length > 0 ? String(cString: buffer).split(whereSeparator: \.isNewline).joined(separator: " ")
            : "HDF5 reported a failure with no error stack"
        return HDF5Error(path: path, operation: operation, message: message)
    }
}
