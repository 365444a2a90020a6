import CSDAutograd
import CSDTensor
import Testing

/// Every differentiable op and loss, checked against finite differences (float32 evaluation,
/// central differences with step 1e-2; tolerances per op below).
extension GradientCheck: CustomTestStringConvertible {
    var testDescription: String { name }

    typealias I = Input

    static let all: [GradientCheck] = [
        // Arithmetic with broadcasting
        .init(name: "add broadcast", inputs: [I(shape: [3, 4]), I(shape: [4])]) { $0[0] + $0[1] },
        .init(name: "add broadcast column", inputs: [I(shape: [2, 3, 4]), I(shape: [3, 1])]) { $0[0] + $0[1] },
        .init(name: "sub broadcast", inputs: [I(shape: [1, 4]), I(shape: [3, 1])]) { $0[0] - $0[1] },
        .init(name: "mul broadcast", inputs: [I(shape: [2, 3, 4]), I(shape: [1, 3, 4])]) { $0[0] * $0[1] },
        .init(name: "div", inputs: [I(shape: [3, 4]), I(shape: [3, 4], domain: .positive)]) { $0[0] / $0[1] },
        .init(name: "scalar affine", inputs: [I(shape: [5])]) { 2 - ($0[0] * 3 + 1) },
        // Products
        .init(name: "matmul", inputs: [I(shape: [3, 5]), I(shape: [5, 4])]) { $0[0].matmul($0[1]) },
        .init(name: "matmul A^T B^T", inputs: [I(shape: [5, 3]), I(shape: [4, 5])]) {
            $0[0].matmul($0[1], transposeSelf: true, transposeOther: true)
        },
        .init(name: "matmul batched", inputs: [I(shape: [2, 3, 5]), I(shape: [2, 5, 4])]) { $0[0].matmul($0[1]) },
        .init(name: "matmul batched x matrix^T", inputs: [I(shape: [2, 3, 5]), I(shape: [4, 5])]) {
            $0[0].matmul($0[1], transposeOther: true)
        },
        .init(name: "linear", inputs: [I(shape: [2, 3, 5]), I(shape: [4, 5]), I(shape: [4])]) {
            linear($0[0], weight: $0[1], bias: $0[2])
        },
        .init(name: "linear + gelu fused", inputs: [I(shape: [2, 3, 5]), I(shape: [4, 5]), I(shape: [4])]) {
            linear($0[0], weight: $0[1], bias: $0[2], activation: Pointwise.GELU())
        },
        .init(name: "linear + tanh fused, no bias", inputs: [I(shape: [6, 5]), I(shape: [4, 5])]) {
            linear($0[0] * 3 + 0.05, weight: $0[1], bias: nil, activation: Pointwise.Tanh())
        },
        .init(name: "linear no bias", inputs: [I(shape: [3, 5]), I(shape: [4, 5])]) {
            linear($0[0], weight: $0[1], bias: nil)
        },
        // Layout
        .init(name: "reshape", inputs: [I(shape: [2, 6])]) { $0[0].reshaped([3, -1]) * $0[0].reshaped([3, 4]) },
        .init(name: "permute", inputs: [I(shape: [2, 3, 4])]) { $0[0].permuted([2, 0, 1]) },
        .init(name: "transpose", inputs: [I(shape: [3, 4])]) { $0[0].transposed() },
        .init(name: "slice", inputs: [I(shape: [2, 5, 3])]) { $0[0].slice(axis: 1, 1..<4) },
        .init(name: "expanded (broadcast copy)", inputs: [I(shape: [1, 3, 1])]) { $0[0].expanded(to: [2, 3, 4]) },
        .init(name: "concat", inputs: [I(shape: [2, 1, 3]), I(shape: [2, 4, 3])]) { concat([$0[0], $0[1]], axis: 1) },
        // Reductions
        .init(name: "sum", inputs: [I(shape: [3, 4])]) { $0[0].sum() },
        .init(name: "mean", inputs: [I(shape: [3, 4])]) { $0[0].mean() },
        .init(name: "sum axes", inputs: [I(shape: [2, 3, 4])]) { $0[0].sum(axes: [0, 2]) },
        .init(name: "mean axis keepDims", inputs: [I(shape: [2, 3, 4])]) { $0[0].mean(axes: [-1], keepDims: true) * $0[0] },
        // Element-wise functions
        .init(name: "exp", inputs: [I(shape: [3, 5])]) { $0[0].exp() },
        .init(name: "log", inputs: [I(shape: [3, 5], domain: .positive)]) { $0[0].log() },
        .init(name: "tanh", inputs: [I(shape: [3, 5])]) { $0[0].tanh() },
        .init(name: "sigmoid", inputs: [I(shape: [3, 5])]) { $0[0].sigmoid() },
        .init(name: "softplus", inputs: [I(shape: [3, 5])]) { ($0[0] * 3).softplus() },
        .init(name: "gelu", inputs: [I(shape: [3, 5])]) { ($0[0] * 2).gelu() },
        .init(name: "quickGelu", inputs: [I(shape: [3, 5])]) { ($0[0] * 2).quickGelu() },
        .init(name: "silu", inputs: [I(shape: [3, 5])]) { $0[0].silu() },
        .init(name: "relu", inputs: [I(shape: [3, 5], domain: .awayFromZero)]) { $0[0].relu() },
        .init(name: "leakyRelu", inputs: [I(shape: [3, 5], domain: .awayFromZero)]) { $0[0].leakyRelu(0.2) },
        // Activation recomputation: the second input plays a weight the body reads (its gradient
        // accumulates during the re-run), the first the block input.
        .init(name: "recomputed (activation recomputation)", inputs: [I(shape: [2, 3]), I(shape: [3, 3])]) { v in
            recomputed(v[0], parameters: [v[1]]) { x in (x.matmul(v[1]).tanh() * x).sum(axes: [1]) }
        },
        .init(name: "residual with layer scale", inputs: [I(shape: [2, 3, 4]), I(shape: [2, 3, 4]), I(shape: [4])]) {
            residual($0[0], $0[1], scale: $0[2])
        },
        .init(name: "softmax", inputs: [I(shape: [3, 7])]) { $0[0].softmax() },
        .init(name: "dropout", inputs: [I(shape: [4, 6])]) { v in
            var rng = RandomStream(seed: 5, stream: 1)
            return v[0].dropout(0.3, training: true, rng: &rng)
        },
        // Fused layers
        .init(name: "layerNorm", inputs: [I(shape: [2, 3, 8]), I(shape: [8]), I(shape: [8])]) {
            layerNorm($0[0], weight: $0[1], bias: $0[2], eps: 1e-5)
        },
        .init(name: "attention 2 heads", inputs: [I(shape: [2, 5, 8]), I(shape: [2, 5, 8]), I(shape: [2, 5, 8])]) {
            multiHeadAttention(q: $0[0], k: $0[1], v: $0[2], heads: 2)
        },
        .init(name: "attention shared qkv", inputs: [I(shape: [1, 4, 6])]) {
            multiHeadAttention(q: $0[0], k: $0[0], v: $0[0] * 2, heads: 3)
        },
        .init(name: "attention fused qkv", inputs: [I(shape: [2, 5, 24])]) {
            multiHeadAttention(qkv: $0[0], heads: 2)
        },
        .init(name: "patch embedding", inputs: [I(shape: [2, 3, 9, 8]), I(shape: [5, 3, 4, 4]), I(shape: [5])]) {
            patchEmbedding($0[0], weight: $0[1], bias: $0[2], patch: 4)
        },
        // Losses
        .init(name: "cross-entropy", inputs: [I(shape: [4, 5])]) { softmaxCrossEntropy($0[0] * 2, labels: [0, 3, 4, 1]) },
        .init(name: "BCE with logits", inputs: [I(shape: [3, 4]), I(shape: [3, 4], differentiable: false)]) {
            binaryCrossEntropyWithLogits($0[0] * 2, targets: $0[1].value.clamped01())
        },
        .init(name: "MSE", inputs: [I(shape: [3, 4]), I(shape: [3, 4])]) { meanSquaredError($0[0], $0[1]) },
        .init(name: "cosine distance", inputs: [I(shape: [3, 6]), I(shape: [3, 6])]) { cosineDistance($0[0], $0[1]) },
    ]

    @Test(arguments: GradientCheck.all)
    static func matchesFiniteDifferences(_ check: GradientCheck) {
        let (error, at) = check.run()
        #expect(error <= check.tolerance, "\(check.name): error \(error) at \(at)")
    }
}

extension Tensor {
    /// Squashes values into [0, 1] (BCE targets).
    func clamped01() -> Tensor { Kernels.apply(Pointwise.Sigmoid(), self) }
}

@Test func gradientCheckDetectsAWrongGradient() {
    // A check that cannot fail proves nothing: feed it an op whose backward is off by a factor.
    let wrong = GradientCheck(name: "wrong", inputs: [.init(shape: [4])]) { v in
        let x = v[0]
        return x * x.detached() // true gradient 2x, recorded gradient x
    }
    #expect(wrong.run().error > 0.1)
}
