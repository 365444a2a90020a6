import CDNNL
import Foundation

/// Matrix products with bfloat16 inputs and fp32 accumulation and output (`MatmulPrecision.bf16`).
///
/// Debian's OpenBLAS has no bf16 GEMM, so the products run on oneDNN's matmul, whose AVX512_BF16
/// kernels do two multiply-adds per lane and instruction. Both operands are packed to contiguous
/// bfloat16 first (AVX512_BF16's conversion: the rounding of PyTorch's autocast), which also
/// removes any row stride and transposition the caller's layout had. Without AVX512_BF16 the same rounding feeds fp32
/// OpenBLAS products: an emulation with equal inputs, so results differ only in summation order.
public enum BFloat16GEMM {
    public enum Backend: String, Sendable {
        /// oneDNN's AVX512_BF16 (or AMX) kernels.
        case oneDNN
        /// Operands rounded to bfloat16 and multiplied by OpenBLAS in fp32.
        case emulated
    }

    /// Chosen once per process: oneDNN where the CPU has AVX512_BF16, the emulation elsewhere or
    /// when `CSD_BF16=emulate` (tests use it to check one path against the other).
    public static let backend: Backend = {
        if ProcessInfo.processInfo.environment["CSD_BF16"] == "emulate" { return .emulated }
        return OneDNNMatmul.cpuHasBF16 ? .oneDNN : .emulated
    }()

    /// `C = alpha * op(A) op(B) + beta * C` with both operands rounded to bfloat16 (row-major,
    /// the same contract as `BLAS.gemm`; callers come through `BLAS.gemm(precision: .bf16)`).
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, backend: Backend = backend) {
        switch backend {
        case .oneDNN:
            rowBlocks(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                      pack: { BFloat16.pack(rows: $0, cols: $1, from: $2, ld: $3, into: $4, vectorised: true) }) { rows, aPacked, bPacked in
                OneDNNMatmul.run(m: rows.count, n: n, k: k, transA: transA, transB: transB, alpha: alpha, beta: beta,
                                 a: aPacked, b: bPacked, c: c + rows.lowerBound * ldc, ldc: ldc)
            }
        case .emulated:
            rowBlocks(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                      pack: { BFloat16.packRounded(rows: $0, cols: $1, from: $2, ld: $3, into: $4) }) { rows, aRounded, bRounded in
                BLAS.sgemm(transA, transB, rows.count, n, k, alpha, aRounded, transA ? rows.count : k,
                           bRounded, transB ? k : n, beta, c + rows.lowerBound * ldc, ldc)
            }
        }
    }

    /// Packs op(B) once ([n, k] when transposed, else [k, n]), then splits op(A)'s rows over the
    /// threads as `BLAS.gemm` does; each block packs its rows of op(A) (a column block of A,
    /// packed [k, rows], when transposed) and hands both packed operands to `multiply`.
    private static func rowBlocks<Element>(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        pack: (Int, Int, UnsafePointer<Float>, Int, UnsafeMutablePointer<Element>) -> Void,
        multiply: (Range<Int>, UnsafeMutablePointer<Element>, UnsafeMutablePointer<Element>) -> Void
    ) {
        let (bRows, bCols) = transB ? (n, k) : (k, n)
        let workers = Threads.count
        let split = workers > 1 && m * n * k >= BLAS.parallelThreshold && m >= 8 * workers
        let bPacked = UnsafeMutablePointer<Element>.allocate(capacity: bRows * bCols)
        defer { bPacked.deallocate() }
        Threads.parallelFor(bRows, grain: split ? max(1, bRows / workers) : bRows) { r in
            pack(r.count, bCols, b + r.lowerBound * ldb, ldb, bPacked + r.lowerBound * bCols)
        }
        Threads.parallelFor(m, grain: split ? max(8, (m + workers - 1) / workers) : m) { r in
            let (aRows, aCols) = transA ? (k, r.count) : (r.count, k)
            let aPacked = UnsafeMutablePointer<Element>.allocate(capacity: aRows * aCols)
            defer { aPacked.deallocate() }
            pack(aRows, aCols, transA ? a + r.lowerBound : a + r.lowerBound * lda, lda, aPacked)
            multiply(r, aPacked, bPacked)
        }
    }
}
