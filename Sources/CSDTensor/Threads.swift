import CCBLAS
import Dispatch
import Foundation

/// The one thread setting of the process: it drives OpenBLAS and our own parallel loops.
///
/// A thread may lower its own limit with `Threads.withLimit` (a sweep running one training per
/// core gives each one thread); the limit is thread-local, so parallel runs do not disturb each other.
public enum Threads {
    nonisolated(unsafe) private static var processCount: Int = defaultCount

    private static let limitKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Cores available to the process (Foundation reads the affinity mask on Linux).
    public static var available: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    public static var defaultCount: Int { available }

    /// Threads used by the calling thread's kernels and GEMMs.
    public static var count: Int {
        if let raw = pthread_getspecific(limitKey) {
            return min(processCount, Int(bitPattern: raw))
        }
        return processCount
    }

    /// Sets the process-wide thread count (GEMMs included: `BLAS.gemm` splits products over
    /// these threads and keeps OpenBLAS itself single-threaded). Call before starting work.
    public static func setCount(_ n: Int) {
        precondition(n >= 1, "thread count must be at least 1, got \(n)")
        processCount = n
    }

    /// Runs `body` with this thread's kernels and GEMMs limited to `limit` threads (a sweep
    /// running one training per core gives each `withLimit(1)`).
    public static func withLimit<R>(_ limit: Int, _ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(limitKey)
        // Only ever lowers: a nested call cannot raise the limit its caller set.
        pthread_setspecific(limitKey, UnsafeRawPointer(bitPattern: max(1, min(limit, count))))
        defer { pthread_setspecific(limitKey, previous) }
        return try body()
    }

    /// Splits `0..<n` into contiguous chunks of at least `grain` items and runs them on up to
    /// `count` threads. Small ranges run inline on the caller, with no dispatch overhead.
    @inlinable
    public static func parallelFor(_ n: Int, grain: Int = 1 << 14, _ body: (Range<Int>) -> Void) {
        if n <= 0 { return }
        let workers = min(count, (n + grain - 1) / max(grain, 1))
        if workers <= 1 {
            body(0..<n)
            return
        }
        let chunk = (n + workers - 1) / workers
        let limit = 1
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let lo = w * chunk
                let hi = min(n, lo + chunk)
                if lo < hi { Threads.withLimit(limit) { body(lo..<hi) } }
            }
        }
    }
}
