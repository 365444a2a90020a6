import Foundation

/// A private temporary folder per test (Swift Testing runs tests in parallel), removed when the
/// object goes away.
public final class TemporaryFolder {
    public let url: URL
    public var path: String { url.path }

    public init(_ prefix: String = "csd-tests") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// The path of `name` inside the folder.
    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// A fresh folder per test, removed by the caller's `defer`.
public func makeTempDirectory(_ name: String = #function) throws -> URL {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("csd-\(safe)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
