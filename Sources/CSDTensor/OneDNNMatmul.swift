import CDNNL
import Foundation

/// oneDNN's matmul primitive on packed bfloat16 operands, fp32 output: one primitive per shape,
/// created once and kept (creating one costs about half a millisecond; a ViT has a handful of shapes).
enum OneDNNMatmul {
    /// Whether oneDNN runs bf16 natively here: its detected ISA includes AVX512_BF16 (or AMX).
    static let cpuHasBF16: Bool = {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        let bf16 = dnnl_cpu_isa_avx512_core_bf16.rawValue
        return isa & bf16 == bf16
    }()

    private struct Key: Hashable {
        let m: Int, n: Int, k: Int, ldc: Int
        let transA: Bool, transB: Bool
        let alpha: Float, beta: Float
    }

    private final class Engine: @unchecked Sendable {
        let engine: dnnl_engine_t
        let lock = NSLock()
        var primitives: [Key: dnnl_primitive_t] = [:]
        init() {
            var e: dnnl_engine_t?
            let status = dnnl_engine_create(&e, dnnl_cpu, 0)
            precondition(status == dnnl_success, "oneDNN: no CPU engine (status \(status.rawValue))")
            engine = e!
        }
    }

    private static let shared = Engine()
    /// Shapes beyond this many are run with a primitive made for the one call.
    private static let cacheCapacity = 512

    /// C[m, n] (row stride ldc) = alpha * op(A) op(B) + beta * C, with A packed [m, k] (or
    /// [k, m] when transA) and B packed [k, n] (or [n, k] when transB), both bfloat16.
    static func run(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, alpha: Float, beta: Float,
                    a: UnsafeMutablePointer<UInt16>, b: UnsafeMutablePointer<UInt16>,
                    c: UnsafeMutablePointer<Float>, ldc: Int) {
        csd_omp_single_thread()
        let key = Key(m: m, n: n, k: k, ldc: ldc, transA: transA, transB: transB, alpha: alpha, beta: beta)
        let engine = shared
        engine.lock.lock()
        var primitive = engine.primitives[key]
        var cached = true
        if primitive == nil {
            primitive = makePrimitive(key, engine: engine.engine)
            if engine.primitives.count < cacheCapacity { engine.primitives[key] = primitive } else { cached = false }
        }
        engine.lock.unlock()
        defer { if !cached { dnnl_primitive_destroy(primitive) } }

        var stream: dnnl_stream_t?
        check(dnnl_stream_create(&stream, engine.engine, dnnl_stream_default_flags.rawValue), "create stream")
        defer { dnnl_stream_destroy(stream) }
        var descriptors = Descriptors(key)
        var src: dnnl_memory_t?, weights: dnnl_memory_t?, dst: dnnl_memory_t?
        check(dnnl_memory_create(&src, &descriptors.a, engine.engine, a), "wrap A")
        check(dnnl_memory_create(&weights, &descriptors.b, engine.engine, b), "wrap B")
        check(dnnl_memory_create(&dst, &descriptors.c, engine.engine, c), "wrap C")
        defer { dnnl_memory_destroy(src); dnnl_memory_destroy(weights); dnnl_memory_destroy(dst) }
        var arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: src),
                         dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weights),
                         dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: dst)]
        check(dnnl_primitive_execute(primitive, stream, Int32(arguments.count), &arguments), "execute matmul")
        check(dnnl_stream_wait(stream), "wait")
    }

    /// The memory layouts of one product: packed operands, strided fp32 output.
    private struct Descriptors {
        var a = dnnl_memory_desc_t(), b = dnnl_memory_desc_t(), c = dnnl_memory_desc_t()
        init(_ key: Key) {
            var aDims: [dnnl_dim_t] = [dnnl_dim_t(key.m), dnnl_dim_t(key.k)]
            var bDims: [dnnl_dim_t] = [dnnl_dim_t(key.k), dnnl_dim_t(key.n)]
            var cDims: [dnnl_dim_t] = [dnnl_dim_t(key.m), dnnl_dim_t(key.n)]
            var cStrides: [dnnl_dim_t] = [dnnl_dim_t(key.ldc), 1]
            check(dnnl_memory_desc_init_by_tag(&a, 2, &aDims, dnnl_bf16, key.transA ? dnnl_ba : dnnl_ab), "describe A")
            check(dnnl_memory_desc_init_by_tag(&b, 2, &bDims, dnnl_bf16, key.transB ? dnnl_ba : dnnl_ab), "describe B")
            check(dnnl_memory_desc_init_by_strides(&c, 2, &cDims, dnnl_f32, &cStrides), "describe C")
        }
    }

    private static func makePrimitive(_ key: Key, engine: dnnl_engine_t) -> dnnl_primitive_t {
        var descriptors = Descriptors(key)
        var matmul = dnnl_matmul_desc_t()
        check(dnnl_matmul_desc_init(&matmul, &descriptors.a, &descriptors.b, nil, &descriptors.c), "describe matmul")
        var attributes: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attributes), "create attributes")
        defer { dnnl_primitive_attr_destroy(attributes) }
        if key.alpha != 1 {
            var scale = key.alpha
            check(dnnl_primitive_attr_set_output_scales(attributes, 1, 0, &scale), "set alpha")
        }
        if key.beta != 0 {
            // C accumulates: dst = alpha * product + beta * dst.
            var postOps: dnnl_post_ops_t?
            check(dnnl_post_ops_create(&postOps), "create post-ops")
            defer { dnnl_post_ops_destroy(postOps) }
            check(dnnl_post_ops_append_sum(postOps, key.beta), "set beta")
            check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "attach post-ops")
        }
        var descriptor: dnnl_primitive_desc_t?
        check(withUnsafeMutablePointer(to: &matmul) {
            dnnl_primitive_desc_create(&descriptor, UnsafeRawPointer($0), attributes, engine, nil)
        }, "choose a matmul kernel")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        var primitive: dnnl_primitive_t?
        check(dnnl_primitive_create(&primitive, descriptor), "create matmul")
        return primitive!
    }

    /// oneDNN fails only on invalid arguments or exhausted memory here: both are bugs or fatal.
    private static func check(_ status: dnnl_status_t, _ what: String) {
        precondition(status == dnnl_success, "oneDNN: \(what) failed (status \(status.rawValue))")
    }
}
