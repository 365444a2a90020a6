import CSDAutograd
import CSDNN
import CSDTensor
import Testing

struct ModuleTests {
    final class Tiny: Module {
        let encoder: MLP
        let attention: MultiHeadSelfAttention
        let norm = LayerNorm(8)

        init(rng: inout RandomStream) {
            encoder = MLP([8, 16, 8], activation: .gelu, rng: &rng)
            attention = MultiHeadSelfAttention(
                dim: 8, heads: 2, projection: .separate(query: "q_proj", key: "k_proj", value: "v_proj"), outputName: "out_proj",
                rng: &rng)
            super.init()
            register("encoder.layer.0.mlp", child: encoder)
            register("self_attn", child: attention)
            register("post_layernorm", child: norm)
        }
    }

    @Test func keysAreDottedPathsInRegistrationOrder() {
        var rng = RandomStream(seed: 1)
        let keys = Tiny(rng: &rng).namedParameters().map(\.key)
        #expect(keys == [
            "encoder.layer.0.mlp.fc1.weight", "encoder.layer.0.mlp.fc1.bias",
            "encoder.layer.0.mlp.fc2.weight", "encoder.layer.0.mlp.fc2.bias",
            "self_attn.q_proj.weight", "self_attn.q_proj.bias", "self_attn.k_proj.weight", "self_attn.k_proj.bias",
            "self_attn.v_proj.weight", "self_attn.v_proj.bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
            "post_layernorm.weight", "post_layernorm.bias",
        ])
    }

    @Test func loadingIsStrict() throws {
        var rng = RandomStream(seed: 1)
        let model = Tiny(rng: &rng)
        var state = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.key, $0.tensor.copy()) })
        try model.load(state)

        var missing = state
        missing["self_attn.k_proj.bias"] = nil
        #expect(throws: ModuleLoadingError.self) { try model.load(missing) }
        do { try model.load(missing) } catch { #expect("\(error)".contains("self_attn.k_proj.bias")) }

        var misshaped = state
        misshaped["post_layernorm.weight"] = Tensor(zeros: [9])
        do { try model.load(misshaped); Issue.record("mis-shaped tensor accepted") } catch {
            #expect("\(error)".contains("post_layernorm.weight") && "\(error)".contains("[9]"))
        }

        state["encoder.layer.0.mlp.fc3.weight"] = Tensor(zeros: [1])
        do { try model.load(state); Issue.record("unused tensor accepted") } catch {
            #expect("\(error)".contains("encoder.layer.0.mlp.fc3.weight"))
        }
        try model.load(state, strict: false)
    }

    @Test func freezingAndTrainingModeReachChildren() {
        var rng = RandomStream(seed: 1)
        let model = Tiny(rng: &rng)
        model.encoder.freeze()
        #expect(model.trainableParameters.count == model.parameters.count - 4)
        model.isTraining = false
        #expect(!model.attention.projections[0].isTraining)
    }

    @Test func inferenceRecordsNoGraph() {
        var rng = RandomStream(seed: 1)
        let model = Tiny(rng: &rng)
        let x = Variable(Tensor.randomNormal([2, 8], using: &rng))
        let y = GradMode.withoutGradients { model.encoder(x) }
        #expect(!y.requiresGrad && y.isLeaf)
        let z = model.encoder(x)
        #expect(z.requiresGrad && !z.isLeaf)
    }
}
