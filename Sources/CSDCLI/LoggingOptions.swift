import ArgumentParser
import Foundation
import Logging

/// `--verbose` / `--quiet`, shared by every tool, and the process's one logging bootstrap.
public struct LoggingOptions: ParsableArguments {
    @Flag(name: [.customShort("v"), .long], help: "Also log debug messages.")
    public var verbose = false

    @Flag(name: [.customShort("q"), .long], help: "Log warnings and errors only.")
    public var quiet = false

    public init() {}

    public func validate() throws {
        if verbose && quiet { throw ValidationError("--verbose and --quiet exclude each other") }
    }

    public var level: Logger.Level { verbose ? .debug : quiet ? .warning : .info }

    /// Sends every `Logger` in the process to stderr at `level` and returns the tool's logger.
    /// Libraries only accept a `Logger`; this is the one place that configures where logs go.
    /// The ranks of an MPI job other than 0 log warnings and errors only (rank 0 speaks for all).
    public func bootstrap(label: String, rank: Int = 0) -> Logger {
        LoggingBootstrap.once(level: rank == 0 ? level : max(level, .warning))
        return Logger(label: label)
    }
}

/// swift-log allows a single bootstrap per process; a second call would trap.
enum LoggingBootstrap {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var done = false

    static func once(level: Logger.Level) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
