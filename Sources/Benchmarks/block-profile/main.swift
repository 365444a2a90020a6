// Per-op cost of one ViT-S/14 block at batch 32, 224 px (257 tokens), forward without gradients:
// where the time of a backbone forward goes. A development aid, not a benchmark of record.
import CSDAutograd
import CSDNN
import CSDTensor
import Foundation
Threads.setCount(2)
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
GradMode.withoutGradients {
    time("layernorm") { _ = norm(x) }
    time("qkv projection") { _ = attn.fusedProjection(x) }
    time("attention core") { _ = multiHeadAttention(qkv: qkv, heads: 6) }
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
    let n = 12_640_000
    let src = Tensor.randomNormal([n], using: &rng)
    time("Kernels.apply exp") { _ = Kernels.apply(Pointwise.Exp(), src) }
    time("Kernels.apply gelu") { _ = Kernels.apply(Pointwise.GELU(), src) }
    time("gelu derivative") { _ = Kernels.applyDerivative(Pointwise.GELU(), x: src, y: src, upstream: src) }
}
