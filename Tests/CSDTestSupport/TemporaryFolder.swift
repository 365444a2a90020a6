import Foundation

/// A private temporary folder per test (Swift Testing runs tests in parallel), removed when the
/// object goes away.
public final class TemporaryFolder {
    public let url: URL
    public var path: String { url.path }

    /// `label` (the test's name by default) goes into the folder's name, to find a kept one.
    public init(_ label: String = #function) {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        url = FileManager.default.temporaryDirectory.appendingPathComponent("csd-\(safe)-\(UUID().uuidString)", isDirectory: true)
        // A test machine that cannot create a temporary folder cannot run the tests at all.
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// The path of `name` inside the folder.
    public func file(_ name: String) -> String { fileURL(name).path }

    /// The URL of `name` inside the folder.
    public func fileURL(_ name: String) -> URL { url.appendingPathComponent(name) }
}

/// A fresh folder per test, removed by the caller's `defer`.
public func makeTempDirectory(_ name: String = #function) throws -> URL {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("csd-\(safe)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs `body` with a fresh folder of its own, removed afterwards.
public func withTemporaryDirectory<R>(_ label: String = #function, _ body: (URL) throws -> R) rethrows -> R {
    let folder = TemporaryFolder(label)
    return try body(folder.url)
}
