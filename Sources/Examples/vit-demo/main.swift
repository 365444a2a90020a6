// A smoke demo of the foundation: trains a tiny ViT, written with CSDNN layers and our autodiff,
// on generated images whose class is where a square sits (content) and whose colours vary (style).
// It stands in for the README's main job until extract and probe exist.
import CSDAutograd
import CSDNN
import CSDTensor
import Foundation

let (imageSize, patch, dim, heads, classes) = (32, 8, 32, 4, 4)

/// Image i of a split: a square in quadrant `label`, random colours and noise.
func makeImages(count: Int, seed: UInt64) -> (Tensor, [Int]) {
    var rng = RandomStream(seed: seed, stream: 1)
    var images = Tensor(zeros: [count, 3, imageSize, imageSize])
    var labels: [Int] = []
    images.withUnsafeMutableBufferPointer { px in
        for n in 0..<count {
            let label = rng.int(below: classes)
            labels.append(label)
            let background = (0..<3).map { _ in rng.uniform(-1, 0) }
            let foreground = (0..<3).map { _ in rng.uniform(0.2, 1) }
            let (oy, ox) = ((label / 2) * 16 + rng.int(below: 6), (label % 2) * 16 + rng.int(below: 6))
            for c in 0..<3 {
                for y in 0..<imageSize {
                    for x in 0..<imageSize {
                        let inside = y >= oy && y < oy + 10 && x >= ox && x < ox + 10
                        px[((n * 3 + c) * imageSize + y) * imageSize + x] =
                            (inside ? foreground[c] : background[c]) + 0.1 * rng.normal()
                    }
                }
            }
        }
    }
    return (images, labels)
}

final class Block: Module {
    let norm1 = LayerNorm(dim, eps: 1e-6), norm2 = LayerNorm(dim, eps: 1e-6)
    let attn: MultiHeadSelfAttention, mlp: MLP
    init(rng: inout RandomStream) {
        attn = MultiHeadSelfAttention(dim: dim, heads: heads, rng: &rng)
        mlp = MLP([dim, 4 * dim, dim], activation: .gelu, rng: &rng)
        super.init()
        register("norm1", child: norm1); register("attn", child: attn)
        register("norm2", child: norm2); register("mlp", child: mlp)
    }
    func callAsFunction(_ x: Variable) -> Variable {
        let h = x + attn(norm1(x))
        return h + mlp(norm2(h))
    }
}

final class TinyViT: Module {
    let embed: PatchEmbed, blocks: [Block], norm = LayerNorm(dim, eps: 1e-6), head: Linear
    let cls: Variable, pos: Variable
    init(rng: inout RandomStream) {
        embed = PatchEmbed(channels: 3, dim: dim, patch: patch, rng: &rng)
        blocks = [Block(rng: &rng), Block(rng: &rng)]
        head = Linear(dim, classes, rng: &rng)
        cls = Variable(.randomNormal([1, 1, dim], std: 0.02, using: &rng), requiresGrad: true)
        let tokens = 1 + (imageSize / patch) * (imageSize / patch)
        pos = Variable(.randomNormal([1, tokens, dim], std: 0.02, using: &rng), requiresGrad: true)
        super.init()
        register("patch_embed", child: embed); register("cls_token", parameter: cls)
        register("pos_embed", parameter: pos)
        for (i, b) in blocks.enumerated() { register("blocks.\(i)", child: b) }
        register("norm", child: norm); register("head", child: head)
    }
    func callAsFunction(_ images: Variable) -> Variable {
        let b = images.shape[0]
        var x = concat([cls.expanded(to: [b, 1, dim]), embed(images)], axis: 1) + pos
        for block in blocks { x = block(x) }
        return head(norm(x).slice(axis: 1, 0..<1).reshaped([b, dim]))
    }
}

func batch(_ t: Tensor, _ range: Range<Int>) -> Tensor { Kernels.slice(t, axis: 0, range: range) }

let (trainX, trainY) = makeImages(count: 1024, seed: 1)
let (testX, testY) = makeImages(count: 512, seed: 2)
var rng = RandomStream(seed: 0, stream: 0)
let model = TinyViT(rng: &rng)
let optimizer = Adam.adamW(groups: [ParameterGroup(parameters: model.parameters, learningRate: 2e-3, weightDecay: 0.01)])
print("tiny ViT: \(model.parameterCount) parameters, \(trainY.count) train / \(testY.count) test images, \(Threads.count) threads")
var shuffle = RandomStream(seed: 0, stream: 2)
let batchSize = 64
for epoch in 1...8 {
    let start = Date()
    let order = shuffle.permutation(trainY.count)
    var totalLoss = 0.0
    for s in stride(from: 0, to: order.count, by: batchSize) {
        let idx = Array(order[s..<min(order.count, s + batchSize)])
        let x = Kernels.concat(idx.map { batch(trainX, $0..<($0 + 1)) }, axis: 0)
        let loss = softmaxCrossEntropy(model(Variable(x)), labels: idx.map { trainY[$0] })
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        totalLoss += Double(loss.value.item) * Double(idx.count)
    }
    let logits = GradMode.withoutGradients { model(Variable(testX)).value }
    var correct = 0
    for i in 0..<testY.count {
        var best = 0
        for k in 1..<classes where logits[flat: i * classes + k] > logits[flat: i * classes + best] { best = k }
        if best == testY[i] { correct += 1 }
    }
    print(String(format: "epoch %d  train loss %.4f  test error %.3f  (%.1f s)", epoch,
                 totalLoss / Double(trainY.count), 1 - Double(correct) / Double(testY.count),
                 Date().timeIntervalSince(start)))
}
