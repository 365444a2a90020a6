@testable import CSDTensor
import CSDSystem
import Dispatch
import Testing

@Suite struct BFloat16RoundingTests {
    @Test func roundsToNearestEvenAndKeepsSpecialValues() {
        #expect(HalfPrecision.bfloat16(from: 1) == 0x3F80)
        #expect(HalfPrecision.bfloat16(from: -2) == 0xC000)
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
        #expect(BFloat16.rounded(1 + 0x1p-8) == 1)
        // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: to even, 1 + 2^-6.
        #expect(BFloat16.rounded(1 + 3 * 0x1p-8) == 1 + 0x1p-6)
        #expect(BFloat16.rounded(1 + 0x1p-8 + 0x1p-20) == 1 + 0x1p-7)
        #expect(BFloat16.rounded(.infinity) == .infinity)
        #expect(BFloat16.rounded(-.infinity) == -.infinity)
        #expect(BFloat16.rounded(.greatestFiniteMagnitude) == .infinity)
        #expect(BFloat16.rounded(.nan).isNaN)
        #expect(BFloat16.rounded(-.nan).isNaN)
        #expect(BFloat16.rounded(0).bitPattern == 0)
        #expect(BFloat16.rounded(-0.0).bitPattern == (-0.0 as Float).bitPattern)
        // Subnormals keep their upper bits like any other value.
        #expect(BFloat16.rounded(.leastNonzeroMagnitude) == 0)
        #expect(BFloat16.rounded(Float(bitPattern: 0x0001_8000)) == Float(bitPattern: 0x0002_0000))
    }

    /// The AVX512_BF16 conversion packs exactly what the portable rounding gives (subnormal
    /// inputs aside, which the instruction flushes to zero), tails and row strides included.
    @Test(.enabled(if: OneDNNMatmul.cpuHasBF16))
    func vectorisedPackingEqualsThePortableRounding() {
        let (rows, cols, ld) = (7, 37, 41)
        var source = Sample.normals(rows * ld, seed: 9).map { $0 * 1000 }
        source[3] = .nan; source[5] = .infinity; source[8] = -.infinity; source[13] = .greatestFiniteMagnitude
        source[21] = 1 + 0x1p-8; source[34] = -0.0; source[40] = Float(bitPattern: 0x0080_0000)  // smallest normal
        var fast = [UInt16](repeating: 0, count: rows * cols), portable = fast
        BFloat16.pack(rows: rows, cols: cols, from: source, ld: ld, into: &fast, vectorised: true)
        BFloat16.pack(rows: rows, cols: cols, from: source, ld: ld, into: &portable, vectorised: false)
        for i in fast.indices {
            let (x, y) = (HalfPrecision.float(fromBFloat16: fast[i]), HalfPrecision.float(fromBFloat16: portable[i]))
            #expect(x == y || (x.isNaN && y.isNaN), "element \(i): \(x) vs \(y)")
        }
    }

    @Test func roundingErrorIsAtMostHalfAnUlpOfEightBits() {
        for x in Sample.normals(10_000, seed: 3) where x != 0 {
            let r = BFloat16.rounded(x)
            #expect(abs(r - x) <= abs(x) * 0x1p-8, "\(x) -> \(r)")
            #expect(BFloat16.rounded(r) == r)
        }
    }
}

@Suite struct BFloat16GEMMTests {
    /// The backends this machine can run: the emulation always, oneDNN where the CPU has AVX512_BF16.
    static let backends: [BFloat16GEMM.Backend] = OneDNNMatmul.cpuHasBF16 ? [.emulated, .oneDNN] : [.emulated]

    /// bf16 products against the exact product of the rounded operands (fp64): both backends
    /// see the same inputs and differ from it only by fp32 summation.
    private func check(_ backend: BFloat16GEMM.Backend, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                       alpha: Float = 1, beta: Float = 0, extra: Int = 0, threads: Int = 1,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let lda = (transA ? m : k) + extra, ldb = (transB ? k : n) + extra + 1, ldc = n + extra + 2
        let a = Sample.normals((transA ? k : m) * lda, seed: 11)
        let b = Sample.normals((transB ? n : k) * ldb, seed: 12)
        var c = Sample.normals(m * ldc, seed: 13)
        let c0 = c
        var expected = Naive.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: Double(alpha),
                                  a: a.map(BFloat16.rounded), lda: lda, b: b.map(BFloat16.rounded), ldb: ldb)
        for i in 0..<m { for j in 0..<n { expected[i * n + j] += Double(beta) * Double(c0[i * ldc + j]) } }
        Threads.withLimit(threads) {
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BFloat16GEMM.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                          a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                                          beta: beta, c: pc.baseAddress!, ldc: ldc, backend: backend)
                    }
                }
            }
        }
        var dense = [Float]()
        for i in 0..<m { dense += c[(i * ldc)..<(i * ldc + n)] }
        let what = "\(backend) tA=\(transA) tB=\(transB) \(m)x\(n)x\(k) alpha=\(alpha) beta=\(beta)"
        expectAllClose(dense, expected, abs: 1e-6 * Double(k + 1), rel: 1e-5, what, sourceLocation: sourceLocation)
        for i in 0..<m { for j in n..<ldc { #expect(c[i * ldc + j] == c0[i * ldc + j], "\(what): C padding written") } }
    }

    @Test(arguments: backends, [(false, false), (false, true), (true, false), (true, true)])
    func everyTransposeWithStrides(backend: BFloat16GEMM.Backend, transposes: (Bool, Bool)) {
        check(backend, transA: transposes.0, transB: transposes.1, m: 37, n: 29, k: 45, extra: 3)
        check(backend, transA: transposes.0, transB: transposes.1, m: 1, n: 1, k: 1)
    }

    @Test(arguments: backends)
    func alphaAndBetaAccumulate(backend: BFloat16GEMM.Backend) {
        check(backend, transA: false, transB: true, m: 20, n: 18, k: 33, alpha: 0.125, beta: 0)
        check(backend, transA: false, transB: false, m: 20, n: 18, k: 33, alpha: -2, beta: 1)
        check(backend, transA: true, transB: false, m: 20, n: 18, k: 33, alpha: 1, beta: 0.5)
    }

    /// Products large enough to be split over threads in row blocks (op(A) transposed or not).
    @Test(arguments: backends, [false, true])
    func rowBlocksOverThreadsMatch(backend: BFloat16GEMM.Backend, transA: Bool) {
        check(backend, transA: transA, transB: true, m: 260, n: 96, k: 100, threads: 3)
    }

    /// The same inputs through oneDNN and the emulation: equal up to fp32 summation order.
    /// (Without AVX512_BF16 the oneDNN path is never taken, and this is skipped.)
    @Test(.enabled(if: OneDNNMatmul.cpuHasBF16))
    func oneDNNAgreesWithTheEmulation() throws {
        let (m, n, k) = (64, 48, 384)
        let a = Sample.normals(m * k, seed: 21), b = Sample.normals(n * k, seed: 22)
        func product(_ backend: BFloat16GEMM.Backend) -> [Float] {
            var c = [Float](repeating: .nan, count: m * n)
            BFloat16GEMM.gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k,
                              beta: 0, c: &c, ldc: n, backend: backend)
            return c
        }
        expectAllClose(product(.oneDNN), product(.emulated), abs: 2e-5, rel: 1e-5, "oneDNN vs emulation")
    }

    /// Attention runs one product per thread at once: concurrent calls of one shape (one cached
    /// primitive) give what the same calls give one after another. The scores product of a
    /// 65-token ViT (scaled, B transposed) needs a scratchpad, which calls must not share.
    @Test(arguments: backends)
    func concurrentProductsEqualSerialOnes(backend: BFloat16GEMM.Backend) {
        let (m, n, k, count) = (65, 65, 64, 24)
        let a = Sample.normals(count * m * k, seed: 41), b = Sample.normals(count * k * n, seed: 42)
        func products(concurrently: Bool) -> [Float] {
            var c = [Float](repeating: .nan, count: count * m * n)
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        let (pa, pb, pc) = (pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                        let one = { (i: Int) in
                            BFloat16GEMM.gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 0.125,
                                              a: pa + i * m * k, lda: k, b: pb + i * k * n, ldb: k,
                                              beta: 0, c: pc + i * m * n, ldc: n, backend: backend)
                        }
                        if concurrently {
                            DispatchQueue.concurrentPerform(iterations: count) { one($0) }
                        } else {
                            for i in 0..<count { one(i) }
                        }
                    }
                }
            }
            return c
        }
        #expect(products(concurrently: true) == products(concurrently: false))
    }

    /// fp32 stays OpenBLAS's: the precision argument changes nothing unless it is bf16.
    @Test func fp32IsUnchangedAndBF16Rounds() {
        let (m, n, k) = (8, 8, 64)
        let a = Tensor(Sample.normals(m * k, seed: 31), shape: [m, k])
        let b = Tensor(Sample.normals(k * n, seed: 32), shape: [k, n])
        let plain = a.matmul(b), fp32 = a.matmul(b, precision: .fp32), bf16 = a.matmul(b, precision: .bf16)
        #expect(plain.scalars == fp32.scalars)
        #expect(plain.scalars != bf16.scalars)
        let expected = Naive.gemm(transA: false, transB: false, m: m, n: n, k: k,
                                  a: a.scalars.map(BFloat16.rounded), lda: k, b: b.scalars.map(BFloat16.rounded), ldb: n)
        expectAllClose(bf16.scalars, expected, abs: 1e-4, rel: 1e-5, "Tensor.matmul bf16")
    }
}
