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

    /// The threads of this process: `--threads`, or the cores it may use. A launcher that binds
    /// each process to its own cores (mpirun's default for small jobs, Slurm's
    /// --cpus-per-task) shows each one only those; a process that sees every core of the
    /// machine shares them with the job's other `processesOnThisMachine`.
    public func count(processesOnThisMachine: Int = 1) -> Int {
        if let threads { return threads }
        let available = Threads.available
        let bound = available < ProcessInfo.processInfo.processorCount
        return bound ? available : max(1, available / max(1, processesOnThisMachine))
    }

    /// Applies the setting process-wide; call once, before any work.
    public func apply(processesOnThisMachine: Int = 1) {
        Threads.setCount(count(processesOnThisMachine: processesOnThisMachine))
    }
}
