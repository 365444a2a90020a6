import Foundation

/// The one progress display: a redrawn bar with rate and ETA on a terminal, a log line every
/// `interval` seconds otherwise (batch jobs, Slurm logs), nothing with `--quiet`.
public final class ProgressReporter: @unchecked Sendable {
    public enum Style { case bar, lines, silent }

    let label: String
    let total: Int
    let unit: String
    let style: Style
    let interval: Double
    private var done = 0
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var drawnDone = -1
    private let startOffset: Int
    private let lock = NSLock()

    /// `alreadyDone`: units finished before this run (a resumed job), shown but not counted in
    /// the rate.
    public init(label: String, total: Int, alreadyDone: Int = 0, unit: String = "images",
                quiet: Bool = false, interval: Double = 10) {
        self.label = label
        self.total = total
        self.unit = unit
        self.done = alreadyDone
        self.startOffset = alreadyDone
        self.interval = interval
        self.style = quiet ? .silent : (isatty(STDERR_FILENO) != 0 ? .bar : .lines)
    }

    public func advance(by n: Int) {
        lock.lock()
        defer { lock.unlock() }
        done += n
        let now = Date()
        let due = style == .bar ? now.timeIntervalSince(lastDraw) >= 0.2 : now.timeIntervalSince(lastDraw) >= interval
        if due || done >= total { draw(now: now) }
    }

    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if style == .bar { draw(now: Date()); FileHandle.standardError.write(Data("\n".utf8)) }
        else if style == .lines && drawnDone != done { draw(now: Date()) }
    }

    /// Units per second over this run.
    public var rate: Double {
        let elapsed = Date().timeIntervalSince(started)
        return elapsed > 0 ? Double(done - startOffset) / elapsed : 0
    }

    private func draw(now: Date) {
        lastDraw = now
        drawnDone = done
        guard style != .silent else { return }
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done - startOffset) / elapsed : 0
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let stats = String(format: "%d/%d %@  %.1f %@/s  ETA %@", done, total, unit, rate, unit, Self.clock(remaining))
        switch style {
        case .bar:
            let width = 28
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(stats)\u{1B}[K".utf8))
        case .lines:
            FileHandle.standardError.write(Data(String(format: "%@: %.0f%%  %@\n", label, fraction * 100, stats).utf8))
        case .silent:
            break
        }
    }

    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }
}
