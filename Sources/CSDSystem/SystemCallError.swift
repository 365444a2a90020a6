import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failing system call on a file: the call, the path and errno's message. Each module turns it
/// into its own error type at its boundary (`cannot <call>: <message>`, naming its file).
public struct SystemCallError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let path: String
    public let code: Int32
    /// Set where the call succeeded but its result is refused (a folder where a file must be).
    private let reason: String?

    public init(_ call: String, _ path: String, _ code: Int32 = errno) {
        self.call = call; self.path = path; self.code = code; self.reason = nil
    }

    public init(_ call: String, _ path: String, refusing reason: String) {
        self.call = call; self.path = path; self.code = EINVAL; self.reason = reason
    }

    /// errno's message, or the reason for a refusal.
    public var message: String { reason ?? String(cString: strerror(code)) }

    public var description: String { "\(call) \(path): \(message)" }
}
