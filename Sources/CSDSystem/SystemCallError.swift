import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failing system call while reading or writing a results file.
public enum ResultsStoreError: Error, CustomStringConvertible {
    case system(String, String, Int32)

    public var description: String {
        switch self {
        case let .system(call, path, code):
            return "\(call) \(path): \(String(cString: strerror(code)))"
        }
    }
}
