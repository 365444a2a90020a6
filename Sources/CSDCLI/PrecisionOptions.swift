import ArgumentParser
import CSDTensor

extension MatmulPrecision: ExpressibleByArgument {}

/// `--precision fp32|bf16`, shared by extract and finetune: the number format of the backbone's
/// matrix products (the heads, losses and optimiser stay fp32).
public struct PrecisionOptions: ParsableArguments {
    @Option(name: .long, help: """
        Backbone matrix products: fp32 (default, exact reference) or bf16 (inputs rounded to \
        bfloat16, fp32 accumulation; oneDNN's AVX512_BF16 kernels, emulated on CPUs without them).
        """)
    public var precision: MatmulPrecision = .fp32

    public init() {}

    /// One line for the log: what bf16 runs on here.
    public var description: String {
        switch precision {
        case .fp32: return "fp32"
        case .bf16:
            return BFloat16GEMM.backend == .oneDNN
                ? "bf16 (oneDNN, AVX512_BF16)"
                : "bf16 (emulated: this CPU has no AVX512_BF16, so bf16 is no faster than fp32 here)"
        }
    }
}
