import CCBLAS
import CSDCLI
import CSDTensor
import Foundation

/// Times our GEMM entry points against raw `cblas_sgemm` on the ViT-S/14 block shapes.
/// A script, never a test: tools/bench-gemm.sh runs it next to PyTorch and gates the overhead.
struct GemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm-bench",
        abstract: "GFLOP/s of cblas_sgemm, BLAS.gemm and Tensor.matmul on ViT-S/14 block shapes.")

    @OptionGroup var threading: ThreadOptions
    @Option(help: "Images per batch; M = batch * tokens.") var batch = 32
    @Option(help: "Tokens per image (257 = [CLS] + 16x16 patches at 224 px).") var tokens = 257
    @Option(help: "Timed calls per variant; medians are reported.") var reps = 9
    @Flag(help: "Tab-separated output for tools/bench-gemm.sh.") var tsv = false

    func run() throws {
        threading.apply()
        let timeout = ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"] ?? "unset"
        FileHandle.standardError.write(Data("""
            \(BLAS.configuration); threads \(threading.count()); \
            OPENBLAS_THREAD_TIMEOUT=\(timeout); reps \(reps)\n
            """.utf8))
        if tsv { print("layout\tshape\tm\tn\tk\tcblas\tgemm\tmatmul\tgemm_bf16\tgemm_overhead\tmatmul_overhead") }
        for transB in [true, false] {
            for shape in BlockShape.vitS14 {
                let r = measure(shape, m: batch * tokens, transB: transB, threads: threading.count())
                let layout = transB ? "W[N,K]" : "W[K,N]"
                if tsv {
                    print([layout, shape.name, "\(r.m)", "\(shape.n)", "\(shape.k)",
                           fmt(r.gflops[0]), fmt(r.gflops[1]), fmt(r.gflops[2]), fmt(r.gflops[3]),
                           fmt(r.overhead[1]), fmt(r.overhead[2])].joined(separator: "\t"))
                } else {
                    print("\(layout) \(shape.name): GFLOP/s cblas \(fmt(r.gflops[0])), "
                          + "BLAS.gemm \(fmt(r.gflops[1])) (\(signed(r.overhead[1]))), "
                          + "Tensor.matmul \(fmt(r.gflops[2])) (\(signed(r.overhead[2]))), "
                          + "BLAS.gemm bf16 \(fmt(r.gflops[3])) (\(BFloat16GEMM.backend.rawValue))")
                }
            }
        }
    }

    /// GFLOP/s (from median times) of cblas, BLAS.gemm, Tensor.matmul and the bf16 BLAS.gemm
    /// (packing of both operands included), and each one's overhead
    /// in % over cblas: the median over reps of the time ratio within one rep. The three run
    /// back to back in rotating order, so load from other processes hits them alike.
    func measure(_ s: BlockShape, m: Int, transB: Bool, threads: Int) -> (m: Int, gflops: [Double], overhead: [Double]) {
        var rng = RandomStream(seed: 1)
        let x = Tensor.randomNormal([m, s.k], using: &rng)
        let w = Tensor.randomNormal(transB ? [s.n, s.k] : [s.k, s.n], using: &rng)
        let c = Tensor(zeros: [m, s.n])
        let (a, b, out) = (x.storage.pointer, w.storage.pointer, c.storage.pointer)
        let ldb = transB ? s.k : s.n
        var sink: Float = 0
        let variants: [() -> Void] = [
            {
                // Raw cblas with OpenBLAS's own threads (our entry point keeps them at 1 and
                // splits the product itself).
                openblas_set_num_threads(Int32(threads))
                cblas_sgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(s.n), Int32(s.k), 1, a, Int32(s.k), b, Int32(ldb),
                            0, out, Int32(s.n))
                openblas_set_num_threads(1)
            },
            { BLAS.gemm(transB: transB, m: m, n: s.n, k: s.k, a: a, lda: s.k, b: b, ldb: ldb, c: out, ldc: s.n) },
            { sink += x.matmul(w, transposeOther: transB)[flat: 0] },
            { BLAS.gemm(precision: .bf16, transB: transB, m: m, n: s.n, k: s.k, a: a, lda: s.k, b: b, ldb: ldb,
                        c: out, ldc: s.n) },
        ]
        var seconds = [[Double]](repeating: [], count: variants.count)
        withExtendedLifetime((x, w, c)) {
            for v in variants { v() }  // warm-up: thread pool, page faults of inputs and C
            for rep in 0..<reps {
                for j in variants.indices {
                    let i = (rep + j) % variants.count
                    let start = DispatchTime.now().uptimeNanoseconds
                    variants[i]()
                    seconds[i].append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
                }
            }
        }
        if sink.isNaN { FileHandle.standardError.write(Data("nan\n".utf8)) }
        let flops = 2.0 * Double(m) * Double(s.n) * Double(s.k)
        let gflops = seconds.map { flops / median($0) / 1e9 }
        let overhead = seconds.map { t in median(zip(t, seconds[0]).map { $0 / $1 }) * 100 - 100 }
        return (m, gflops, overhead)
    }
}

struct BlockShape {
    let name: String, k: Int, n: Int
    /// The four linear layers of a ViT-S/14 block (D = 384, MLP 1536).
    static let vitS14 = [BlockShape(name: "qkv", k: 384, n: 1152), BlockShape(name: "proj", k: 384, n: 384),
                         BlockShape(name: "fc1", k: 384, n: 1536), BlockShape(name: "fc2", k: 1536, n: 384)]
}

func median(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func fmt(_ x: Double) -> String { String(format: "%.1f", x) }
func signed(_ percent: Double) -> String { String(format: "%+.1f%%", percent) }

GemmBench.main()
