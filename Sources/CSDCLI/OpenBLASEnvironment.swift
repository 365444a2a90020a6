import CSDTensor
import Foundation

/// Process-environment settings OpenBLAS reads only once, when the library is loaded.
public enum OpenBLASEnvironment {
    public static let threadTimeoutVariable = "OPENBLAS_THREAD_TIMEOUT"

    /// Without a short timeout, OpenBLAS's idle worker spins ~110 ms after every multi-threaded
    /// GEMM, stealing the core the element-wise code that follows needs (docs: PLATFORM.md).
    /// The library reads the variable before `main`, so setting it now is too late for this
    /// process: set it and re-execute the same program with the same arguments.
    ///
    /// Call first thing in `main`. The variable is its own loop guard: once it is set (by us, or
    /// by the user to any value) this returns at once. If exec fails, the process carries on
    /// with OpenBLAS's default.
    public static func ensureThreadTimeout(_ value: String = "4") {
        guard getenv(threadTimeoutVariable) == nil else { return }
        guard setenv(threadTimeoutVariable, value, 1) == 0 else { return }
        // One core: OpenBLAS starts no worker, so nothing spins; skip the exec.
        guard Threads.available > 1 else { return }
        #if os(Linux)
        fflush(stdout)
        fflush(stderr)
        _ = execv("/proc/self/exe", CommandLine.unsafeArgv)
        #endif
    }
}
