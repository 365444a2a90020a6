/// Where a long job reports progress. The executables pass a terminal or log display (CSDCLI's
/// `ProgressReporter`); tests pass nothing.
public protocol ProgressSink: AnyObject {
    func advance(by units: Int)
    func finish()
}

/// A progress sink per split: (label, total units, units already done before this run).
public typealias ProgressFactory = (_ label: String, _ total: Int, _ alreadyDone: Int) -> any ProgressSink

public final class SilentProgress: ProgressSink {
    public init() {}
    public func advance(by units: Int) {}
    public func finish() {}
}
