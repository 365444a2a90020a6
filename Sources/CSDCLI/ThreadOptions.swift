import ArgumentParser
import CSDTensor
import Foundation

/// `--threads N`, shared by every tool: the one thread setting (OpenBLAS and our parallel loops).
public struct ThreadOptions: ParsableArguments {
    @Option(name: .long, help: "Threads for GEMM and kernels (per process of an MPI job); the default is every available core (shared among a job's processes on one machine).")
    public var threads: Int?

    public init() {}

    public func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// The threads of this process: `--threads`, or the cores it may use (its affinity mask:
    /// mpirun binds small jobs' processes to a core each, Slurm to --cpus-per-task), at most its
    /// share of the machine's cores among the job's `processesOnThisMachine` (a binding to a whole
    /// socket is shared by the processes on it).
    public func count(processesOnThisMachine: Int = 1) -> Int {
        if let threads { return threads }
        let share = ProcessInfo.processInfo.processorCount / max(1, processesOnThisMachine)
        return max(1, min(Threads.available, share))
    }

    /// Applies the setting process-wide; call once, before any work.
    public func apply(processesOnThisMachine: Int = 1) {
        Threads.setCount(count(processesOnThisMachine: processesOnThisMachine))
    }
}
