import CDNNL
import Foundation

/// oneDNN's matmul primitive on packed bfloat16 operands, fp32 output: one primitive per shape,
/// created once and kept (creating one costs about half a millisecond; a ViT has a handful of shapes).
///
/// Primitives run concurrently from the project's threads, so each thread brings its own
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

    /// What one thread keeps between calls (attention makes hundreds of small products per
    /// block): its stream, each kernel's memory objects (their data pointers are set per call)
    /// and a scratchpad that grows to the largest need.
    private final class ThreadContext {
        struct Bound { let src: dnnl_memory_t, weights: dnnl_memory_t, dst: dnnl_memory_t, scratch: dnnl_memory_t }
        let stream: dnnl_stream_t
        var bound: [Key: Bound] = [:]
        var scratchpad: UnsafeMutableRawPointer
        var scratchpadBytes = 4096

        init(engine: dnnl_engine_t) {
            var s: dnnl_stream_t?
            check(dnnl_stream_create(&s, engine, dnnl_stream_default_flags.rawValue), "create stream")
            stream = s!
            scratchpad = .allocate(byteCount: scratchpadBytes, alignment: 64)
        }

        deinit {
            for b in bound.values { for m in [b.src, b.weights, b.dst, b.scratch] { dnnl_memory_destroy(m) } }
            dnnl_stream_destroy(stream)
            scratchpad.deallocate()
        }

        func scratchpad(bytes: Int) -> UnsafeMutableRawPointer {
            if bytes > scratchpadBytes {
                scratchpad.deallocate()
                scratchpadBytes = bytes
                scratchpad = .allocate(byteCount: bytes, alignment: 64)
            }
            return scratchpad
        }
    }

    private static let contextKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { Unmanaged<ThreadContext>.fromOpaque($0!).release() }
        return key
    }()

    private static func threadContext(_ engine: dnnl_engine_t) -> ThreadContext {
        if let raw = pthread_getspecific(contextKey) { return Unmanaged<ThreadContext>.fromOpaque(raw).takeUnretainedValue() }
        let context = ThreadContext(engine: engine)
        pthread_setspecific(contextKey, Unmanaged.passRetained(context).toOpaque())
        return context
    }

    /// C[m, n] (row stride ldc) = alpha * op(A) op(B) + beta * C, with A packed [m, k] (or
    /// [k, m] when transA) and B packed [k, n] (or [n, k] when transB), both bfloat16.
    static func run(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, alpha: Float, beta: Float,
                    a: UnsafeMutablePointer<UInt16>, b: UnsafeMutablePointer<UInt16>,
                    c: UnsafeMutablePointer<Float>, ldc: Int) {
        csd_omp_single_thread()
        let key = Key(m: m, n: n, k: k, ldc: ldc, transA: transA, transB: transB, alpha: alpha, beta: beta)
        let engine = shared
        let context = threadContext(engine.engine)
        engine.lock.lock()
        var kernel: Kernel! = engine.kernels[key]
        var cached = true
        if kernel == nil {
            kernel = makeKernel(key, engine: engine.engine)
            if engine.kernels.count < cacheCapacity { engine.kernels[key] = kernel } else { cached = false }
        }
        engine.lock.unlock()
        defer { if !cached { dnnl_primitive_destroy(kernel.primitive) } }

        let scratchpad = context.scratchpad(bytes: kernel.scratchpadBytes)
        let memory: ThreadContext.Bound
        if let bound = context.bound[key] {
            memory = bound
            for (m, pointer) in [(memory.src, UnsafeMutableRawPointer(a)), (memory.weights, UnsafeMutableRawPointer(b)),
                                 (memory.dst, UnsafeMutableRawPointer(c)), (memory.scratch, scratchpad)] {
                check(dnnl_memory_set_data_handle(m, pointer), "set a data pointer")
            }
        } else {
            var descriptors = Descriptors(key)
            var src: dnnl_memory_t?, weights: dnnl_memory_t?, dst: dnnl_memory_t?, scratch: dnnl_memory_t?
            check(dnnl_memory_create(&src, &descriptors.a, engine.engine, a), "wrap A")
            check(dnnl_memory_create(&weights, &descriptors.b, engine.engine, b), "wrap B")
            check(dnnl_memory_create(&dst, &descriptors.c, engine.engine, c), "wrap C")
            check(dnnl_memory_create(&scratch, &kernel.scratchpad, engine.engine, scratchpad), "wrap scratchpad")
            memory = .init(src: src!, weights: weights!, dst: dst!, scratch: scratch!)
            if cached { context.bound[key] = memory }
        }
        defer { if !cached { for m in [memory.src, memory.weights, memory.dst, memory.scratch] { dnnl_memory_destroy(m) } } }
        var arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: memory.src),
                         dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: memory.weights),
                         dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: memory.dst),
                         dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: memory.scratch)]
        check(dnnl_primitive_execute(kernel.primitive, context.stream, Int32(arguments.count), &arguments), "execute matmul")
        check(dnnl_stream_wait(context.stream), "wait")
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
