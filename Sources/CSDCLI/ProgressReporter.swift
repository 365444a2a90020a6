import CSDSystem
import Foundation

/// The one progress display: a redrawn bar with rate and ETA on a terminal, a log line every
/// `interval` seconds otherwise (batch jobs, Slurm logs), nothing with `--quiet`.
///
/// The rate is shown only once it means something (two units of this run and a second of
/// work), as units per second, or as seconds per unit when slower than one per second (as tqdm
/// does): a slow training step reads "12.3 s/step", never "0.1 steps/s".
public final class ProgressReporter: ProgressSink, @unchecked Sendable {
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
    private var status = ""
    private var later = 0.0
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

    public func note(_ text: String) {
        lock.lock()
        status = text
        lock.unlock()
    }

    public func expectLater(seconds: Double) {
        lock.lock()
        later = max(0, seconds)
        lock.unlock()
    }

    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if style == .bar { draw(now: Date()); FileHandle.standardError.write(Data("\n".utf8)) }
        else if style == .lines && drawnDone != done { draw(now: Date()) }
    }

    private func draw(now: Date) {
        lastDraw = now
        drawnDone = done
        guard style != .silent else { return }
        let elapsed = now.timeIntervalSince(started)
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        var stats = String(format: "%d/%d %@", done, total, unit)
        stats += "  " + Self.speed(units: done - startOffset, seconds: elapsed, unit: unit, remaining: total - done, later: later)
        if !status.isEmpty { stats += "  " + status }
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

    /// "3.2 images/s  ETA 01:10", "12.3 s/step  ETA 2:03:00", or "ETA --:--" until two units of
    /// this run and a second have passed.
    static func speed(units: Int, seconds: Double, unit: String, remaining: Int, later: Double) -> String {
        guard units >= 2, seconds >= 1 else { return "ETA --:--" }
        let rate = Double(units) / seconds
        let left = Double(remaining) / rate + later
        let singular = unit.hasSuffix("s") ? String(unit.dropLast()) : unit
        let shown = rate >= 1 ? String(format: "%.1f %@/s", rate, unit) : String(format: "%.1f s/%@", 1 / rate, singular)
        return "\(shown)  ETA \(clock(left))"
    }

    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }
}
