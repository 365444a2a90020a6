import CCBLAS

/// The single entry point for matrix products: every matmul in the project goes through here.
///
/// Row-major `C = alpha * op(A) * op(B) + beta * C` with `op(A)` of shape [m, k] and
/// `op(B)` of shape [k, n]; leading dimensions are the row strides of the stored matrices.
public enum BLAS {
    @inline(__always)
    public static func gemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS leaves C untouched when k == 0 only if beta == 1; make beta's meaning explicit.
            if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            else if beta != 1 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } } }
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `count` independent products with fixed element strides between consecutive matrices
    /// (attention's per-head products). Runs them one after another; each uses OpenBLAS's threads.
    public static func gemmBatched(
        count: Int,
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, strideA: Int,
        b: UnsafePointer<Float>, ldb: Int, strideB: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int
    ) {
        for i in 0..<count {
            gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                 a: a + i * strideA, lda: lda, b: b + i * strideB, ldb: ldb,
                 beta: beta, c: c + i * strideC, ldc: ldc)
        }
    }

    /// OpenBLAS build facts, for logs and benchmark headers.
    public static var configuration: String {
        guard let cfg = openblas_get_config() else { return "OpenBLAS" }
        return String(cString: cfg)
    }
}

extension Tensor {
    /// Matrix product of the last two dimensions: [.., m, k] x [k, n] or batched [b.., m, k] x [b.., k, n].
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(rank >= 2 && other.rank >= 2, "matmul needs rank >= 2, got \(shape) and \(other.shape)")
        let (ar, ac) = (shape[rank - 2], shape[rank - 1])
        let (br, bc) = (other.shape[other.rank - 2], other.shape[other.rank - 1])
        let m = transposeSelf ? ac : ar, k = transposeSelf ? ar : ac
        let k2 = transposeOther ? bc : br, n = transposeOther ? br : bc
        precondition(k == k2, "matmul inner dimensions differ: \(shape) x \(other.shape)")
        let batchA = Array(shape.dropLast(2)), batchB = Array(other.shape.dropLast(2))
        if batchB.isEmpty || batchB.allSatisfy({ $0 == 1 }) {
            // [.., m, k] x [k, n]: fold the batch into m when A is not transposed.
            let batch = Shape.count(batchA)
            let out = Tensor(uninitializedShape: batchA + [m, n])
            if !transposeSelf {
                BLAS.gemm(transA: false, transB: transposeOther, m: batch * m, n: n, k: k,
                          a: storage.pointer, lda: ac, b: other.storage.pointer, ldb: bc,
                          c: out.storage.pointer, ldc: n)
            } else {
                BLAS.gemmBatched(count: batch, transA: true, transB: transposeOther, m: m, n: n, k: k,
                                 a: storage.pointer, lda: ac, strideA: ar * ac,
                                 b: other.storage.pointer, ldb: bc, strideB: 0,
                                 c: out.storage.pointer, ldc: n, strideC: m * n)
            }
            return out
        }
        precondition(batchA == batchB, "matmul batch dimensions differ: \(shape) x \(other.shape)")
        let batch = Shape.count(batchA)
        let out = Tensor(uninitializedShape: batchA + [m, n])
        BLAS.gemmBatched(count: batch, transA: transposeSelf, transB: transposeOther, m: m, n: n, k: k,
                         a: storage.pointer, lda: ac, strideA: ar * ac,
                         b: other.storage.pointer, ldb: bc, strideB: br * bc,
                         c: out.storage.pointer, ldc: n, strideC: m * n)
        return out
    }
}
