import CSDAutograd
import CSDBackbones
import CSDNN
import CSDSafetensors
import CSDTensor
import Foundation
import Testing

/// bf16 matrix products in every backbone family: forward tokens and gradients against fp32 on
/// the tiny checkpoints, and fp32 unchanged by a round trip through bf16.
struct BackbonePrecisionTests {
    static let folders = ["dinov2_tiny", "dinov2_swiglu_tiny", "dinov2_reg_tiny", "clip_tiny", "radio_tiny"]

    /// The smallest cosine between matching rows of two [.., D] tensors.
    static func worstRowCosine(_ a: Tensor, _ b: Tensor) -> Double {
        let d = a.shape.last!, rows = a.count / d
        var worst = 1.0
        for r in 0..<rows {
            var dot = 0.0, na = 0.0, nb = 0.0
            for j in 0..<d {
                let (x, y) = (Double(a[flat: r * d + j]), Double(b[flat: r * d + j]))
                dot += x * y; na += x * x; nb += y * y
            }
            worst = min(worst, dot / max((na * nb).squareRoot(), 1e-30))
        }
        return worst
    }

    /// Loss and gradients (input first, then every parameter by key) of a fixed linear loss.
    static func gradients(_ model: any Backbone, _ pixels: Tensor, _ weights: Tensor) -> (Tensor, [String: Tensor]) {
        model.zeroGrad()
        let input = Variable(pixels, requiresGrad: true)
        let out = model(input)
        (out.tokens * Variable(weights)).sum().backward()
        var grads: [String: Tensor] = [:]
        for (key, p) in model.namedParameters() { if let g = p.grad { grads[key] = g } }
        return (input.grad!, grads)
    }

    @Test(arguments: folders)
    func bf16TokensAndGradientsStayCloseToFP32(_ folder: String) throws {
        let url = try BackboneParityTests.fixture(folder)
        let model = try BackboneLoader.load(folder: url)
        let f = try SafetensorsFile(url: url.appendingPathComponent("gradients.safetensors"))
        let pixels = try f.tensor("native.pixel_values")

        let fp32 = model(Variable(pixels)).tokens.value
        var rng = RandomStream(seed: 5)
        let weights = Tensor.randomNormal(fp32.shape, using: &rng)
        let (fp32Input, fp32Grads) = Self.gradients(model, pixels, weights)

        model.matmulPrecision = .bf16
        #expect(model.descendants.allSatisfy { $0.matmulPrecision == .bf16 })
        let bf16 = model(Variable(pixels)).tokens.value
        #expect(bf16.scalars != fp32.scalars, "\(folder): bf16 changed nothing")
        let cosine = Self.worstRowCosine(bf16, fp32)
        #expect(cosine > 0.9995, "\(folder): worst token cosine \(cosine)")
        let (bf16Input, bf16Grads) = Self.gradients(model, pixels, weights)
        let inputError = BackboneGradientParityTests.relativeError(bf16Input, fp32Input)
        #expect(inputError < 0.02, "\(folder): input gradient relative error \(inputError)")
        #expect(Set(bf16Grads.keys) == Set(fp32Grads.keys))
        // Key biases shift every logit of a softmax row equally: their exact gradient is zero, so
        // both precisions give rounding noise there, with no meaningful relative error.
        for (key, g) in fp32Grads where !key.hasSuffix("key.bias") && !key.hasSuffix("k_proj.bias") {
            let error = BackboneGradientParityTests.relativeError(bf16Grads[key]!, g)
            #expect(error < 0.05, "\(folder): \(key) gradient relative error \(error)")
        }

        model.matmulPrecision = .fp32
        #expect(model(Variable(pixels)).tokens.value.scalars == fp32.scalars, "\(folder): fp32 after bf16 differs")
    }
}
