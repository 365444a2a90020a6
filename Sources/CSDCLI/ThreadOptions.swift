import ArgumentParser
import CSDTensor

/// `--threads N`, shared by every tool: the one thread setting (OpenBLAS and our parallel loops).
public struct ThreadOptions: ParsableArguments {
    @Option(name: .long, help: "Threads for GEMM and kernels; the default is every available core.")
    public var threads: Int = Threads.defaultCount

    public init() {}

    public func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Applies the setting process-wide; call once, before any work.
    public func apply() {
        Threads.setCount(threads)
    }
}
