/// Where a long job reports progress. The executables pass a terminal or log display (CSDCLI's
/// `ProgressReporter`); tests pass nothing.
public protocol ProgressSink: AnyObject {
    func advance(by units: Int)
    /// A short status shown after the count until the next note (e.g. the current loss terms).
    func note(_ text: String)
    /// Seconds of other work still to come after the remaining units (e.g. evaluations), added
    /// to the displayed time left.
    func expectLater(seconds: Double)
    func finish()
}

extension ProgressSink {
    public func note(_ text: String) {}
    public func expectLater(seconds: Double) {}
}

/// A progress sink per phase: (label, total units, units already done before this run).
public typealias ProgressFactory = (_ label: String, _ total: Int, _ alreadyDone: Int) -> any ProgressSink

public final class SilentProgress: ProgressSink {
    public init() {}
    public func advance(by units: Int) {}
    public func finish() {}
}
