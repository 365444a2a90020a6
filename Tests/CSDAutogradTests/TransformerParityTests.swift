import CSDAutograd
import CSDNN
import CSDSafetensors
import CSDTensor
import Foundation
import Testing

/// Forward and backward of a two-block pre-norm transformer against PyTorch autograd
/// (fixture from tools/make_autograd_fixture.py; the model there is the one below, key for key).
struct TransformerParityTests {
    static let (d, heads, hidden, classes, patch) = (16, 4, 32, 3, 4)

    final class Block: Module {
        let norm1 = LayerNorm(d, eps: 1e-6), norm2 = LayerNorm(d, eps: 1e-6)
        let attn: MultiHeadSelfAttention
        let mlp: MLP
        let ls1 = LayerScale(d), ls2 = LayerScale(d)

        init(activation: Activation, rng: inout RandomStream) {
            attn = MultiHeadSelfAttention(dim: d, heads: heads, rng: &rng)
            mlp = MLP([d, hidden, d], activation: activation, rng: &rng)
            super.init()
            register("norm1", child: norm1); register("attn", child: attn); register("ls1", child: ls1)
            register("norm2", child: norm2); register("mlp", child: mlp); register("ls2", child: ls2)
        }

        func callAsFunction(_ x: Variable) -> Variable {
            let h = x + ls1(attn(norm1(x)))
            return h + ls2(mlp(norm2(h)))
        }
    }

    final class Model: Module {
        let patchEmbed: PatchEmbed
        let clsToken = Variable(Tensor(zeros: [1, 1, d]), requiresGrad: true)
        let posEmbed: Variable
        let blocks: [Block]
        let norm = LayerNorm(d, eps: 1e-6)
        let head: Linear

        init(tokens: Int, rng: inout RandomStream) {
            patchEmbed = PatchEmbed(channels: 3, dim: d, patch: patch, rng: &rng)
            posEmbed = Variable(Tensor(zeros: [1, tokens, d]), requiresGrad: true)
            blocks = [Block(activation: .gelu, rng: &rng), Block(activation: .quickGelu, rng: &rng)]
            head = Linear(d, classes, rng: &rng)
            super.init()
            register("patch_embed", child: patchEmbed)
            register("cls_token", parameter: clsToken)
            register("pos_embed", parameter: posEmbed)
            for (i, b) in blocks.enumerated() { register("blocks.\(i)", child: b) }
            register("norm", child: norm)
            register("head", child: head)
        }

        func callAsFunction(_ images: Variable) -> (hidden: Variable, logits: Variable) {
            let b = images.shape[0]
            let tokens = patchEmbed(images)
            var x = concat([clsToken.expanded(to: [b, 1, d]), tokens], axis: 1) + posEmbed
            for block in blocks { x = block(x) }
            let hidden = norm(x)
            let cls = hidden.slice(axis: 1, 0..<1).reshaped([b, d])
            return (hidden, head(cls))
        }
    }

    /// max |actual - expected| / max |expected|, so tiny entries do not dominate. The scale is
    /// floored at 1e-3: the key biases' true gradient is exactly zero (softmax ignores a shift
    /// shared by a query's scores), so both sides hold only rounding noise there.
    static func relativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
        precondition(actual.shape == expected.shape, "shape \(actual.shape) vs expected \(expected.shape)")
        var diff: Float = 0, scale: Float = 0
        for i in 0..<actual.count {
            diff = max(diff, abs(actual[flat: i] - expected[flat: i]))
            scale = max(scale, abs(expected[flat: i]))
        }
        return diff / max(scale, 1e-3)
    }

    @Test func forwardAndBackwardMatchPyTorch() throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/transformer_parity", withExtension: "safetensors"))
        let fixture = try SafetensorsFile(url: url)
        var state: [String: Tensor] = [:]
        for name in fixture.names where name.hasPrefix("param.") {
            state[String(name.dropFirst("param.".count))] = try fixture.tensor(name)
        }
        let images = Variable(try fixture.tensor("input.images"), requiresGrad: true)
        let labels = try fixture.int64s("input.labels").map { Int($0) }
        let target = Variable(try fixture.tensor("input.target"))

        var rng = RandomStream(seed: 0)
        let tokens = 1 + (images.shape[2] / Self.patch) * (images.shape[3] / Self.patch)
        let model = Model(tokens: tokens, rng: &rng)
        try model.load(state)

        let (hidden, logits) = model(images)
        let cls = hidden.slice(axis: 1, 0..<1).reshaped([images.shape[0], Self.d])
        let loss = softmaxCrossEntropy(logits, labels: labels) + 0.5 * cosineDistance(cls, target)
        loss.backward()

        #expect(Self.relativeError(hidden.value, try fixture.tensor("output.hidden")) <= 1e-4)
        #expect(Self.relativeError(logits.value, try fixture.tensor("output.logits")) <= 1e-4)
        #expect(Self.relativeError(loss.value, try fixture.tensor("output.loss")) <= 1e-4)
        let imageGrad = try #require(images.grad)
        #expect(Self.relativeError(imageGrad, try fixture.tensor("grad.input.images")) <= 1e-4)
        for (key, p) in model.namedParameters() {
            let grad = try #require(p.grad, "no gradient for \(key)")
            let err = Self.relativeError(grad, try fixture.tensor("grad." + key))
            #expect(err <= 1e-4, "gradient of \(key): relative error \(err)")
        }
    }
}
