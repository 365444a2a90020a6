// Per-op cost of one ViT-S/14 block at batch 32, 224 px (257 tokens), forward without gradients:
// where the time of a backbone forward goes. A development aid, not a benchmark of record.
// `block-profile bf16` profiles the bf16 matrix products (MatmulPrecision.bf16) instead of fp32.
import CSDAutograd
import CSDBackbones
import CSDNN
import CSDTensor
import Foundation
Threads.setCount(2)
let precision = CommandLine.arguments.dropFirst().first.flatMap(MatmulPrecision.init(rawValue:)) ?? .fp32
print("matrix products: \(precision.rawValue)\(precision == .bf16 ? " (\(BFloat16GEMM.backend.rawValue))" : "")")
func time(_ name: String, _ reps: Int = 3, _ f: () -> Void) {
    f()
    var ts: [Double] = []
    for _ in 0..<reps { let s = DispatchTime.now().uptimeNanoseconds; f(); ts.append(Double(DispatchTime.now().uptimeNanoseconds - s) / 1e6) }
    print(String(format: "%-28@ %8.2f ms", name as NSString, ts.sorted()[reps / 2]))
}
var rng = RandomStream(seed: 1)
let (b, t, d) = (32, 257, 384)
let x = Variable(.randomNormal([b, t, d], using: &rng))
let big = Variable(.randomNormal([b, t, 4 * d], using: &rng))
let norm = LayerNorm(d)
let attn = MultiHeadSelfAttention(dim: d, heads: 6, rng: &rng)
let fc1 = Linear(d, 4 * d, rng: &rng), fc2 = Linear(4 * d, d, rng: &rng)
let qkv = Variable(.randomNormal([b, t, 3 * d], using: &rng))
for layer in [norm, attn, fc1, fc2] as [Module] { layer.matmulPrecision = precision }
GradMode.withoutGradients {
    time("layernorm") { _ = norm(x) }
    time("qkv projection") { _ = attn.fusedProjection(x) }
    time("attention core") { _ = multiHeadAttention(qkv: qkv, heads: 6, precision: precision) }
    time("out proj") { _ = attn.output(x) }
    time("fc1") { _ = fc1(x) }
    time("gelu 4d") { _ = big.gelu() }
    time("fc2") { _ = fc2(big) }
    time("add") { _ = x + x }
    time("mul bcast (layerscale)") { _ = x * Variable(Tensor(repeating: 1, shape: [d])) }
    time("block total") {
        let h = x + attn(norm(x))
        _ = h + fc2(fc1(norm(h)).gelu())
    }
}
do {
    let model = try! BackboneLoader.randomlyInitialised(config: BackbonePresets.named("dinov2-small")!.configObject)
    model.matmulPrecision = precision
    let block = (model as! DINOv2Model).blocks[0]
    GradMode.withoutGradients {
        time("DINOv2 ViTBlock") { _ = block(x) }
        time("norm1+attention") { _ = block.attention(block.norm1(x)) }
        time("norm2+mlp") { _ = block.mlp is MLP ? (block.mlp as! MLP)(block.norm2(x)) : x }
        time("layerscale + residual") { _ = x + block.layerScale1!(x) }
        let pixels = Variable(.randomNormal([32, 3, 224, 224], using: &rng))
        time("whole model", 1) { _ = model(pixels) }
        let dino = model as! DINOv2Model
        time("patch embedding") { _ = dino.patchEmbed(pixels) }
        time("position table 37->16") { _ = dino.positions(height: 224, width: 224) }
        let tokens = Variable(.randomNormal([32, 257, 384], using: &rng))
        time("final layernorm + outputs") { _ = meanOfTokens(dino.layerNorm(tokens), from: 1) }
        let q = Variable(.randomNormal([32, 257, 1152], using: &rng))
        time("attention: QK^T + PV gemms only") {
            // Per (image, head) pair as AttentionKernel does: 32 x 6 pairs of 257 tokens, head dim 64.
            let p = Tensor(uninitializedShape: [2, 257, 257])
            Threads.parallelFor(2, grain: 1) { ws in
                for w in ws {
                    for pair in (w * 96)..<((w + 1) * 96) {
                        let (b, h) = (pair / 6, pair % 6)
                        let base = q.value.storage.pointer + b * 257 * 1152 + h * 64
                        BLAS.gemm(precision: precision, transB: true, m: 257, n: 257, k: 64, a: base, lda: 1152, b: base + 384, ldb: 1152, c: p.storage.pointer + w * 257 * 257, ldc: 257)
                        BLAS.gemm(precision: precision, m: 257, n: 64, k: 257, a: p.storage.pointer + w * 257 * 257, lda: 257, b: base + 768, ldb: 1152, c: base, ldc: 1152)
                    }
                }
            }
        }
    }
}
do {
    // bf16 operand packing, one thread: what BLAS.gemm(precision: .bf16) adds to a product.
    let m = Tensor.randomNormal([8224, 1536], using: &rng)
    let packed = UnsafeMutablePointer<UInt16>.allocate(capacity: m.count)
    time("pack 8224x1536 to bf16, 1 thread") {
        BFloat16.pack(rows: 8224, cols: 1536, from: m.storage.pointer, ld: 1536, into: packed,
                      vectorised: BFloat16GEMM.backend == .oneDNN)
    }
    packed.deallocate()
}
do {
    let n = 12_640_000
    let src = Tensor.randomNormal([n], using: &rng)
    time("copy (memory bandwidth)") { _ = src.copy() }
    time("scale by 2 (2 threads)") { _ = Kernels.scaled(src, 2) }
    time("Kernels.apply exp") { _ = Kernels.apply(Pointwise.Exp(), src) }
    time("Kernels.apply exp, 1 thread") { _ = Threads.withLimit(1) { Kernels.apply(Pointwise.Exp(), src) } }
    let dst = Tensor(zeros: [n])
    let (ps, pd) = (src.storage.pointer, dst.storage.pointer)
    time("direct exp loop, 1 thread") { for i in 0..<n { pd[i] = VectorMath.exp(ps[i]) } }
    time("direct erf loop, 1 thread") { for i in 0..<n { pd[i] = VectorMath.erf(ps[i]) } }
    time("direct gelu loop, 1 thread") { let f = Pointwise.GELU(); for i in 0..<n { pd[i] = f.value(ps[i]) } }
    let small = Tensor.randomNormal([1 << 18], using: &rng)
    time("apply gelu, 256K in cache x48") { for _ in 0..<48 { _ = Kernels.apply(Pointwise.GELU(), small) } }
    time("Kernels.apply gelu") { _ = Kernels.apply(Pointwise.GELU(), src) }
    time("gelu derivative") { _ = Kernels.applyDerivative(Pointwise.GELU(), x: src, y: src, upstream: src) }
}
do {
    // Are a row's features independent of the batch it is computed in (bit for bit)?
    let model = try! BackboneLoader.randomlyInitialised(config: BackbonePresets.named("vit-tiny")!.configObject)
    let pixels = Tensor.randomNormal([13, 3, 64, 64], using: &rng)
    GradMode.withoutGradients {
        let whole = model(Variable(pixels)).imageToken.value
        let a = model(Variable(Kernels.slice(pixels, axis: 0, range: 0..<5))).imageToken.value
        let b = model(Variable(Kernels.slice(pixels, axis: 0, range: 5..<13))).imageToken.value
        let joined = Kernels.concat([a, b], axis: 0)
        var same = 0
        for i in 0..<whole.count where whole[flat: i] == joined[flat: i] { same += 1 }
        print("batch-invariance: \(same)/\(whole.count) identical")
    }
}
