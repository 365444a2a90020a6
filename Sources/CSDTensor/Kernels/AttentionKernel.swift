/// Multi-head scaled dot-product attention over token-major activations, fused.
///
/// Queries, keys and values are read in place from [B, T, H * dh] rows (any row stride, so a
/// fused qkv projection needs no split copies); each head's slice is addressed with a leading
/// dimension, so no permute to [B, H, T, dh] is ever materialised. The forward keeps the
/// attention probabilities [B, H, T, T] when a backward will follow.
public enum AttentionKernel {
    public struct Geometry: Sendable {
        public let batch: Int, tokens: Int, heads: Int, headDim: Int
        public init(batch: Int, tokens: Int, heads: Int, headDim: Int) {
            self.batch = batch; self.tokens = tokens; self.heads = heads; self.headDim = headDim
        }
        public var width: Int { heads * headDim }
    }

    /// A [B, T, *] operand: pointer to head 0 of token 0 and the row stride between tokens.
    public struct Operand {
        public let pointer: UnsafeMutablePointer<Float>
        public let rowStride: Int
        public init(_ pointer: UnsafeMutablePointer<Float>, rowStride: Int) {
            self.pointer = pointer; self.rowStride = rowStride
        }
        @inline(__always) func head(_ b: Int, _ h: Int, _ g: Geometry) -> UnsafeMutablePointer<Float> {
            pointer + b * g.tokens * rowStride + h * g.headDim
        }
    }

    /// out[B, T, H * dh] = softmax(scale * Q K^T) V per head. Returns the probabilities when `keepProbabilities`.
    ///
    /// The (batch, head) pairs are spread over the threads, each running its small products on
    /// one core: splitting a 257 x 257 x 64 product across cores costs more than it gains.
    public static func forward(q: Operand, k: Operand, v: Operand, out: Operand, geometry g: Geometry,
                               scale: Float, keepProbabilities: Bool, precision: MatmulPrecision = .fp32) -> Tensor? {
        let t = g.tokens
        let pairs = g.batch * g.heads
        let probs = keepProbabilities ? Tensor(uninitializedShape: [g.batch, g.heads, t, t]) : nil
        let workers = max(1, min(Threads.count, pairs))
        let scratch = probs == nil ? Tensor(uninitializedShape: [workers, t, t]) : nil
        let rowSums = Tensor(uninitializedShape: [workers, t])
        defer { withExtendedLifetime((probs, scratch, rowSums)) {} }
        let chunk = (pairs + workers - 1) / workers
        Threads.parallelFor(workers, grain: 1) { ws in
            for w in ws {
                for pair in (w * chunk)..<min(pairs, (w + 1) * chunk) {
                    let (b, h) = (pair / g.heads, pair % g.heads)
                    let p = probs.map { $0.storage.pointer + pair * t * t } ?? (scratch!.storage.pointer + w * t * t)
                    BLAS.gemm(precision: precision, transB: true, m: t, n: t, k: g.headDim, alpha: scale,
                              a: q.head(b, h, g), lda: q.rowStride, b: k.head(b, h, g), ldb: k.rowStride,
                              c: p, ldc: t)
                    let o = out.head(b, h, g)
                    if keepProbabilities {
                        for row in 0..<t { SoftmaxKernel.rowInPlace(p + row * t, t) }
                        BLAS.gemm(precision: precision, m: t, n: g.headDim, k: t, a: p, lda: t, b: v.head(b, h, g), ldb: v.rowStride,
                                  c: o, ldc: out.rowStride)
                    } else {
                        // Inference: multiply V by the unnormalised e^(s - max) and divide the
                        // dh-wide output rows instead of the t-wide probability rows.
                        let sums = rowSums.storage.pointer + w * t
                        for row in 0..<t { sums[row] = 1 / SoftmaxKernel.expShiftedInPlace(p + row * t, t) }
                        BLAS.gemm(precision: precision, m: t, n: g.headDim, k: t, a: p, lda: t, b: v.head(b, h, g), ldb: v.rowStride,
                                  c: o, ldc: out.rowStride)
                        for row in 0..<t {
                            let r = o + row * out.rowStride, inv = sums[row]
                            for j in 0..<g.headDim { r[j] *= inv }
                        }
                    }
                }
            }
        }
        return probs
    }

    /// Gradients of q, k, v from dOut, written (not accumulated) into dq, dk, dv when given.
    public static func backward(dOut: Operand, q: Operand, k: Operand, v: Operand, probabilities: Tensor,
                                dq: Operand?, dk: Operand?, dv: Operand?, geometry g: Geometry, scale: Float,
                                precision: MatmulPrecision = .fp32) {
        let t = g.tokens
        let pairs = g.batch * g.heads
        let workers = max(1, min(Threads.count, pairs))
        let dS = Tensor(uninitializedShape: [workers, t, t])
        defer { withExtendedLifetime(dS) {} }
        let chunk = (pairs + workers - 1) / workers
        Threads.parallelFor(workers, grain: 1) { ws in
            for w in ws {
                let ds = dS.storage.pointer + w * t * t
                for pair in (w * chunk)..<min(pairs, (w + 1) * chunk) {
                    let (b, h) = (pair / g.heads, pair % g.heads)
                    let p = probabilities.storage.pointer + pair * t * t
                    let dO = dOut.head(b, h, g)
                    if let dv {
                        BLAS.gemm(precision: precision, transA: true, m: t, n: g.headDim, k: t, a: p, lda: t, b: dO, ldb: dOut.rowStride,
                                  c: dv.head(b, h, g), ldc: dv.rowStride)
                    }
                    if dq == nil && dk == nil { continue }
                    BLAS.gemm(precision: precision, transB: true, m: t, n: t, k: g.headDim, a: dO, lda: dOut.rowStride,
                              b: v.head(b, h, g), ldb: v.rowStride, c: ds, ldc: t)
                    for row in 0..<t { SoftmaxKernel.rowBackward(y: p + row * t, dy: ds + row * t, dx: ds + row * t, t) }
                    if let dq {
                        BLAS.gemm(precision: precision, m: t, n: g.headDim, k: t, alpha: scale, a: ds, lda: t,
                                  b: k.head(b, h, g), ldb: k.rowStride, c: dq.head(b, h, g), ldc: dq.rowStride)
                    }
                    if let dk {
                        BLAS.gemm(precision: precision, transA: true, m: t, n: g.headDim, k: t, alpha: scale, a: ds, lda: t,
                                  b: q.head(b, h, g), ldb: q.rowStride, c: dk.head(b, h, g), ldc: dk.rowStride)
                    }
                }
            }
        }
    }
}
