import CDNNL
import Foundation

/// oneDNN's matmul primitive on packed bfloat16 operands, fp32 output: one primitive per shape,
/// created once and kept (creating one costs about half a millisecond; a ViT has a handful of shapes).
///
/// Primitives run concurrently from the project's threads, so each call brings its own
/// scratchpad ("user" mode): the library's default scratchpad is shared between executions.
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

    /// A primitive and the scratchpad one execution of it needs.
    private struct Kernel {
        let primitive: dnnl_primitive_t
        var scratchpad: dnnl_memory_desc_t
        let scratchpadBytes: Int
    }

    private final class Engine: @unchecked Sendable {
        let engine: dnnl_engine_t
        let lock = NSLock()
        var kernels: [Key: Kernel] = [:]
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
        var kernel: Kernel! = engine.kernels[key]
        var cached = true
        if kernel == nil {
            kernel = makeKernel(key, engine: engine.engine)
            if engine.kernels.count < cacheCapacity { engine.kernels[key] = kernel } else { cached = false }
        }
        engine.lock.unlock()
        defer { if !cached { dnnl_primitive_destroy(kernel.primitive) } }

        var stream: dnnl_stream_t?
        check(dnnl_stream_create(&stream, engine.engine, dnnl_stream_default_flags.rawValue), "create stream")
        defer { dnnl_stream_destroy(stream) }
        var descriptors = Descriptors(key)
        var src: dnnl_memory_t?, weights: dnnl_memory_t?, dst: dnnl_memory_t?, scratch: dnnl_memory_t?
        let scratchpad = UnsafeMutableRawPointer.allocate(byteCount: max(kernel.scratchpadBytes, 64), alignment: 64)
        defer { scratchpad.deallocate() }
        check(dnnl_memory_create(&src, &descriptors.a, engine.engine, a), "wrap A")
        check(dnnl_memory_create(&weights, &descriptors.b, engine.engine, b), "wrap B")
        check(dnnl_memory_create(&dst, &descriptors.c, engine.engine, c), "wrap C")
        check(dnnl_memory_create(&scratch, &kernel.scratchpad, engine.engine, scratchpad), "wrap scratchpad")
        defer { for m in [src, weights, dst, scratch] { dnnl_memory_destroy(m) } }
        var arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: src),
                         dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weights),
                         dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: dst),
                         dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratch)]
        check(dnnl_primitive_execute(kernel.primitive, stream, Int32(arguments.count), &arguments), "execute matmul")
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

    private static func makeKernel(_ key: Key, engine: dnnl_engine_t) -> Kernel {
        var descriptors = Descriptors(key)
        var matmul = dnnl_matmul_desc_t()
        check(dnnl_matmul_desc_init(&matmul, &descriptors.a, &descriptors.b, nil, &descriptors.c), "describe matmul")
        var attributes: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attributes), "create attributes")
        defer { dnnl_primitive_attr_destroy(attributes) }
        check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "set scratchpad mode")
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
        let scratchpad = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0)!.pointee
        var copy = scratchpad
        return Kernel(primitive: primitive!, scratchpad: scratchpad, scratchpadBytes: dnnl_memory_desc_get_size(&copy))
    }

    /// oneDNN fails only on invalid arguments or exhausted memory here: both are bugs or fatal.
    private static func check(_ status: dnnl_status_t, _ what: String) {
        precondition(status == dnnl_success, "oneDNN: \(what) failed (status \(status.rawValue))")
    }
}
