import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failing system call on a file: the call, the path and errno's message.
public struct SystemCallError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let path: String
    public let code: Int32

    public init(_ call: String, _ path: String, _ code: Int32 = errno) {
        self.call = call; self.path = path; self.code = code
    }

    public var description: String { "\(call) \(path): \(String(cString: strerror(code)))" }
}
