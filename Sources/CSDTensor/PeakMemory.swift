import Foundation

/// The process's peak resident memory so far (what a run needed at most), as the kernel counts it.
public enum PeakMemory {
    public static func residentMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024 // KiB on Linux
    }

    /// Bytes resident now (/proc/self/statm), 0 where that file does not exist.
    public static func currentResidentBytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }
}
