import CSDTensor
import Testing

/// One stored matrix of `rows` x `cols` inside rows of `ld` floats; the padding holds `pad`.
private struct Stored {
    var values: [Float]
    let rows: Int, cols: Int, ld: Int

    init(rows: Int, cols: Int, extra: Int, pad: Float, seed: UInt64) {
        self.rows = rows; self.cols = cols; self.ld = cols + extra
        values = [Float](repeating: pad, count: max(rows * ld, 1))
        let data = Sample.normals(rows * cols, seed: seed)
        for r in 0..<rows { for c in 0..<cols { values[r * ld + c] = data[r * cols + c] } }
    }

    func dense() -> [Float] {
        var out = [Float]()
        for r in 0..<rows { out += values[(r * ld)..<(r * ld + cols)] }
        return out
    }

    func padding() -> [Float] {
        var out = [Float]()
        for r in 0..<rows { out += values[(r * ld + cols)..<(r * ld + ld)] }
        return out
    }
}

private let padSentinel: Float = 7.25

/// Runs BLAS.gemm on padded operands and checks it against the naive product, including that the
/// padding of C is never written and the padding of A and B (NaN) is never read.
private func checkGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float,
                       extra: Int, seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) {
    let a = Stored(rows: transA ? k : m, cols: transA ? m : k, extra: extra, pad: .nan, seed: seed)
    let b = Stored(rows: transB ? n : k, cols: transB ? k : n, extra: extra + 1, pad: .nan, seed: seed + 1)
    var c = Stored(rows: m, cols: n, extra: extra + 2, pad: padSentinel, seed: seed + 2)
    if beta == 0 {
        // BLAS semantics: with beta == 0, C is not read, so garbage (even NaN) must not leak.
        for r in 0..<m { for j in 0..<n { c.values[r * c.ld + j] = .nan } }
    }
    let c0 = c.dense()
    var expected = Naive.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: Double(alpha),
                              a: a.values, lda: a.ld, b: b.values, ldb: b.ld)
    if beta != 0 { for i in expected.indices { expected[i] += Double(beta) * Double(c0[i]) } }

    a.values.withUnsafeBufferPointer { pa in
        b.values.withUnsafeBufferPointer { pb in
            c.values.withUnsafeMutableBufferPointer { pc in
                BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                          a: pa.baseAddress!, lda: a.ld, b: pb.baseAddress!, ldb: b.ld,
                          beta: beta, c: pc.baseAddress!, ldc: c.ld)
            }
        }
    }
    let what = "gemm tA=\(transA) tB=\(transB) m=\(m) n=\(n) k=\(k) alpha=\(alpha) beta=\(beta) extra=\(extra)"
    expectAllClose(c.dense(), expected, abs: 2e-6 * Double(k + 1) * Double(max(1, abs(alpha))) + 1e-6,
                   rel: 1e-5, what, sourceLocation: sourceLocation)
    #expect(c.padding().allSatisfy { $0 == padSentinel }, "\(what): C padding was written",
            sourceLocation: sourceLocation)
}

@Suite struct GEMMTests {
    static let sizes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (3, 5, 7), (17, 9, 33), (64, 48, 80), (1, 40, 3), (40, 1, 3)]

    @Test(arguments: [false, true], [false, true])
    func transposeCombinations(transA: Bool, transB: Bool) {
        for (i, s) in Self.sizes.enumerated() {
            checkGemm(transA: transA, transB: transB, m: s.m, n: s.n, k: s.k, alpha: 1, beta: 0,
                      extra: 0, seed: UInt64(100 + i))
        }
    }

    @Test(arguments: [false, true], [false, true])
    func leadingDimensionsLargerThanRows(transA: Bool, transB: Bool) {
        for (i, s) in Self.sizes.enumerated() {
            checkGemm(transA: transA, transB: transB, m: s.m, n: s.n, k: s.k, alpha: 1, beta: 0,
                      extra: 3, seed: UInt64(200 + i))
        }
    }

    @Test(arguments: [(Float(0.5), Float(-1.5)), (-2, 1), (1, 1), (0, 2), (3, 0)])
    func alphaBetaAccumulate(alpha: Float, beta: Float) {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            checkGemm(transA: ta, transB: tb, m: 13, n: 11, k: 9, alpha: alpha, beta: beta,
                      extra: 2, seed: 300)
        }
    }

    @Test func betaZeroIgnoresNaNInC() {
        let a = [Float](repeating: 1, count: 6), b = [Float](repeating: 2, count: 6)
        var c = [Float](repeating: .nan, count: 4)
        c.withUnsafeMutableBufferPointer { pc in
            BLAS.gemm(m: 2, n: 2, k: 3, a: a, lda: 3, b: b, ldb: 2, beta: 0, c: pc.baseAddress!, ldc: 2)
        }
        #expect(c == [6, 6, 6, 6])
    }

    @Test(arguments: [Float(0), 1, 2.5, -1])
    func emptyInnerDimension(beta: Float) {
        // k == 0: op(A) op(B) is the zero matrix, so C = beta * C (and beta == 0 clears NaN garbage).
        let m = 3, n = 4, ldc = 6
        let start: [Float] = (0..<(m * ldc)).map { i in
            i % ldc >= n ? padSentinel : (beta == 0 ? .nan : Float(i) - 5)
        }
        var c = start
        let dummy: [Float] = [.nan]
        c.withUnsafeMutableBufferPointer { pc in
            BLAS.gemm(m: m, n: n, k: 0, alpha: 2, a: dummy, lda: 1, b: dummy, ldb: n,
                      beta: beta, c: pc.baseAddress!, ldc: ldc)
        }
        for i in 0..<(m * ldc) {
            if i % ldc >= n {
                #expect(c[i] == padSentinel, "padding at \(i) changed")
            } else {
                let expected: Float = beta == 0 ? 0 : beta * start[i]
                #expect(c[i] == expected, "element \(i)")
            }
        }
        // Also through the transposed-operand paths and the general checker.
        checkGemm(transA: true, transB: true, m: 2, n: 3, k: 0, alpha: 1, beta: beta, extra: 1, seed: 7)
        checkGemm(transA: false, transB: false, m: 2, n: 3, k: 0, alpha: 1, beta: beta, extra: 1, seed: 8)
    }

    @Test func emptyOutputTouchesNothing() {
        var c: [Float] = [1, 2, 3]
        let x: [Float] = [.nan, .nan, .nan]
        c.withUnsafeMutableBufferPointer { pc in
            BLAS.gemm(m: 0, n: 3, k: 1, a: x, lda: 1, b: x, ldb: 3, c: pc.baseAddress!, ldc: 3)
            BLAS.gemm(m: 1, n: 0, k: 3, a: x, lda: 3, b: x, ldb: 1, c: pc.baseAddress!, ldc: 1)
        }
        #expect(c == [1, 2, 3])
    }

    @Test(arguments: [false, true], [false, true])
    func batchedWithStrides(transA: Bool, transB: Bool) {
        let count = 3, m = 4, n = 5, k = 6
        let (aRows, aCols) = transA ? (k, m) : (m, k)
        let (bRows, bCols) = transB ? (n, k) : (k, n)
        let lda = aCols + 1, ldb = bCols + 2, ldc = n + 3
        // Gaps between consecutive matrices; B is shared (stride 0) in the second half of the test.
        let strideA = aRows * lda + 5, strideB = bRows * ldb + 4, strideC = m * ldc + 7
        let a = Sample.normals(count * strideA, seed: 11), b = Sample.normals(count * strideB, seed: 12)
        for shareB in [false, true] {
            let sB = shareB ? 0 : strideB
            var c = [Float](repeating: padSentinel, count: count * strideC)
            c.withUnsafeMutableBufferPointer { pc in
                BLAS.gemmBatched(count: count, transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75,
                                 a: a, lda: lda, strideA: strideA, b: b, ldb: ldb, strideB: sB,
                                 c: pc.baseAddress!, ldc: ldc, strideC: strideC)
            }
            var written = Set<Int>()
            for i in 0..<count {
                let ai = Array(a[(i * strideA)...]), bi = Array(b[(i * sB)...])
                let expected = Naive.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75,
                                          a: ai, lda: lda, b: bi, ldb: ldb)
                var got = [Float]()
                for r in 0..<m {
                    for j in 0..<n {
                        got.append(c[i * strideC + r * ldc + j])
                        written.insert(i * strideC + r * ldc + j)
                    }
                }
                expectAllClose(got, expected, abs: 1e-5, "batch \(i) shareB=\(shareB)")
            }
            let untouched = c.indices.filter { !written.contains($0) }
            #expect(untouched.allSatisfy { c[$0] == padSentinel }, "gaps between C matrices were written")
        }
    }

    @Test func batchedCountZeroDoesNothing() {
        var c: [Float] = [1, 2]
        let x: [Float] = [.nan]
        c.withUnsafeMutableBufferPointer { pc in
            BLAS.gemmBatched(count: 0, m: 1, n: 1, k: 1, a: x, lda: 1, strideA: 1, b: x, ldb: 1, strideB: 1,
                             c: pc.baseAddress!, ldc: 1, strideC: 1)
        }
        #expect(c == [1, 2])
    }

    @Test func configurationIsNonEmpty() {
        #expect(!BLAS.configuration.isEmpty)
    }
}

// MARK: - Tensor.matmul

/// The naive product of the last two dimensions for one batch element.
private func naiveMatmul(_ a: Tensor, _ b: Tensor, batchA: Int, batchB: Int,
                         transposeSelf: Bool, transposeOther: Bool) -> [Double] {
    let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
    let m = transposeSelf ? ac : ar, k = transposeSelf ? ar : ac
    let n = transposeOther ? br : bc
    let sa = a.scalars, sb = b.scalars
    return Naive.gemm(transA: transposeSelf, transB: transposeOther, m: m, n: n, k: k,
                      a: Array(sa[(batchA * ar * ac)...]), lda: ac,
                      b: Array(sb[(batchB * br * bc)...]), ldb: bc)
}

@Suite struct MatmulTests {
    @Test(arguments: [false, true], [false, true])
    func twoDimensional(transposeSelf: Bool, transposeOther: Bool) {
        let m = 7, k = 5, n = 9
        let a = Sample.normal(transposeSelf ? [k, m] : [m, k], seed: 1)
        let b = Sample.normal(transposeOther ? [n, k] : [k, n], seed: 2)
        let c = a.matmul(b, transposeSelf: transposeSelf, transposeOther: transposeOther)
        #expect(c.shape == [m, n])
        expectAllClose(c.scalars, naiveMatmul(a, b, batchA: 0, batchB: 0, transposeSelf: transposeSelf,
                                              transposeOther: transposeOther), abs: 1e-5)
    }

    @Test(arguments: [false, true], [false, true])
    func batchedByBatched(transposeSelf: Bool, transposeOther: Bool) {
        let batch = [2, 3], m = 4, k = 6, n = 5
        let a = Sample.normal(batch + (transposeSelf ? [k, m] : [m, k]), seed: 3)
        let b = Sample.normal(batch + (transposeOther ? [n, k] : [k, n]), seed: 4)
        let c = a.matmul(b, transposeSelf: transposeSelf, transposeOther: transposeOther)
        #expect(c.shape == batch + [m, n])
        var expected = [Double]()
        for i in 0..<6 {
            expected += naiveMatmul(a, b, batchA: i, batchB: i, transposeSelf: transposeSelf,
                                    transposeOther: transposeOther)
        }
        expectAllClose(c.scalars, expected, abs: 1e-5)
    }

    @Test(arguments: [false, true], [false, true])
    func batchedByMatrix(transposeSelf: Bool, transposeOther: Bool) {
        // [b.., m, k] x [k, n]: folded into one GEMM (or per-batch when A is transposed).
        let batch = [2, 3], m = 4, k = 6, n = 5
        let a = Sample.normal(batch + (transposeSelf ? [k, m] : [m, k]), seed: 5)
        for bShape in [transposeOther ? [n, k] : [k, n], transposeOther ? [1, n, k] : [1, k, n],
                       transposeOther ? [1, 1, n, k] : [1, 1, k, n]] {
            let b = Sample.normal(bShape, seed: 6)
            let c = a.matmul(b, transposeSelf: transposeSelf, transposeOther: transposeOther)
            #expect(c.shape == batch + [m, n], "B shape \(bShape)")
            var expected = [Double]()
            for i in 0..<6 {
                expected += naiveMatmul(a, b, batchA: i, batchB: 0, transposeSelf: transposeSelf,
                                        transposeOther: transposeOther)
            }
            expectAllClose(c.scalars, expected, abs: 1e-5, "B shape \(bShape)")
        }
    }

    @Test func vectorLikeShapes() {
        let a = Sample.normal([1, 8], seed: 7), b = Sample.normal([8, 1], seed: 8)
        let inner = a.matmul(b)
        #expect(inner.shape == [1, 1])
        #expect(abs(Double(inner.item) - Naive.dot(a.scalars, b.scalars)) < 1e-5)
        let outer = b.matmul(a)
        #expect(outer.shape == [8, 8])
        expectAllClose(outer.scalars, naiveMatmul(b, a, batchA: 0, batchB: 0, transposeSelf: false,
                                                  transposeOther: false), abs: 1e-6)
    }

    @Test func identityAndKnownValues() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([7, 8, 9, 10, 11, 12], shape: [3, 2])
        #expect(a.matmul(b).scalars == [58, 64, 139, 154])
        let eye = Tensor([1, 0, 0, 0, 1, 0, 0, 0, 1], shape: [3, 3])
        #expect(a.matmul(eye).scalars == a.scalars)
        #expect(a.matmul(a, transposeOther: true).scalars == [14, 32, 32, 77])
        #expect(a.matmul(a, transposeSelf: true).shape == [3, 3])
    }

    @Test func emptyInnerDimensionGivesZeros() {
        let a = Tensor(zeros: [3, 0]), b = Tensor(zeros: [0, 4])
        let c = a.matmul(b)
        #expect(c.shape == [3, 4])
        #expect(c.scalars.allSatisfy { $0 == 0 })
    }
}
