/// The number format at the inputs of the large matrix products (linear layers, attention,
/// patch embedding).
///
/// Everything else (accumulation, normalisation, softmax, losses, master weights, optimiser
/// state) stays in fp32 either way: `.bf16` is mixed precision, as PyTorch's CPU autocast.
public enum MatmulPrecision: String, Sendable, CaseIterable, Codable {
    /// IEEE single precision through OpenBLAS: the default, and the reference.
    case fp32
    /// Both operands rounded to bfloat16 (to nearest, ties to even), products accumulated and
    /// written in fp32. Runs on oneDNN's AVX512_BF16 kernels where the CPU has them, else on an
    /// emulation with the same rounding (see `BFloat16GEMM.backend`).
    case bf16
}
