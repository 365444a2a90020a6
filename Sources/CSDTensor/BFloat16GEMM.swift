import CDNNL
import Foundation

/// Matrix products with bfloat16 inputs and fp32 accumulation and output (`MatmulPrecision.bf16`).
///
/// Debian's OpenBLAS has no bf16 GEMM, so the products run on oneDNN's matmul, whose AVX512_BF16
/// kernels do two multiply-adds per lane and instruction. Both operands are packed to contiguous
/// bfloat16 first (the rounding of PyTorch's autocast), which also removes any row stride and
/// transposition the caller's layout had. Without AVX512_BF16 the same rounding feeds fp32
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
        // op(B) packed once for every row block: [n, k] when transposed, else [k, n].
        let (bRows, bCols) = transB ? (n, k) : (k, n)
        let workers = Threads.count
        let split = workers > 1 && m * n * k >= BLAS.parallelThreshold && m >= 8 * workers
        let grain = split ? max(8, (m + workers - 1) / workers) : m
        switch backend {
        case .oneDNN:
            let bPacked = UnsafeMutablePointer<UInt16>.allocate(capacity: bRows * bCols)
            defer { bPacked.deallocate() }
            packBlocks(rows: bRows, cols: bCols, from: b, ld: ldb, into: bPacked, parallel: split)
            Threads.parallelFor(m, grain: grain) { r in
                // op(A)'s rows r: rows of A, or a column block of A (packed [k, r.count]) when transposed.
                let (aRows, aCols) = transA ? (k, r.count) : (r.count, k)
                let aPacked = UnsafeMutablePointer<UInt16>.allocate(capacity: aRows * aCols)
                defer { aPacked.deallocate() }
                let aBlock = transA ? a + r.lowerBound : a + r.lowerBound * lda
                BFloat16.pack(rows: aRows, cols: aCols, from: aBlock, ld: lda, into: aPacked)
                OneDNNMatmul.run(m: r.count, n: n, k: k, transA: transA, transB: transB, alpha: alpha, beta: beta,
                                 a: aPacked, b: bPacked, c: c + r.lowerBound * ldc, ldc: ldc)
            }
        case .emulated:
            let bRounded = UnsafeMutablePointer<Float>.allocate(capacity: bRows * bCols)
            defer { bRounded.deallocate() }
            BFloat16.packRounded(rows: bRows, cols: bCols, from: b, ld: ldb, into: bRounded)
            Threads.parallelFor(m, grain: grain) { r in
                let (aRows, aCols) = transA ? (k, r.count) : (r.count, k)
                let aRounded = UnsafeMutablePointer<Float>.allocate(capacity: aRows * aCols)
                defer { aRounded.deallocate() }
                let aBlock = transA ? a + r.lowerBound : a + r.lowerBound * lda
                BFloat16.packRounded(rows: aRows, cols: aCols, from: aBlock, ld: lda, into: aRounded)
                BLAS.sgemm(transA, transB, r.count, n, k, alpha, aRounded, aCols, bRounded, bCols,
                           beta, c + r.lowerBound * ldc, ldc)
            }
        }
    }

    /// Packs in row blocks over the threads when the product itself is split.
    private static func packBlocks(rows: Int, cols: Int, from source: UnsafePointer<Float>, ld: Int,
                                   into target: UnsafeMutablePointer<UInt16>, parallel: Bool) {
        Threads.parallelFor(rows, grain: parallel ? max(1, rows / Threads.count) : rows) { r in
            BFloat16.pack(rows: r.count, cols: cols, from: source + r.lowerBound * ld, ld: ld,
                          into: target + r.lowerBound * cols)
        }
    }
}
