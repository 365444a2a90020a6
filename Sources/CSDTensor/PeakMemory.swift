import Foundation

/// The process's peak resident memory so far (what a run needed at most), as the kernel counts it.
public enum PeakMemory {
    public static func residentMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024 // KiB on Linux
    }
}
