import CSDAutograd
import CSDBackbones
@testable import CSDFinetune
import CSDMethod
import CSDResults
import CSDNN
import CSDProbe
import CSDSafetensors
import CSDTensor
import Foundation
import Testing

/// One finetune step end to end against PyTorch (tools/make_finetune_fixtures.py): the tiny
/// DINOv2 of the backbone tests under the content-style heads, standardised image tokens, the
/// generator loss, every gradient in backbone and heads, and the weights after one AdamW update.
struct StepParityTests {
    static var fixtures: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }
    /// The backbone tests' tiny DINOv2 checkpoint (read from the source tree).
    static let backboneFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CSDBackbonesTests/Fixtures/dinov2_tiny")

    /// ||a - b|| / max(||b||, 0.01): relative, with an absolute floor for the gradients that are
    /// zero in exact arithmetic (attention key biases; see BackboneGradientParityTests).
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
        precondition(a.shape == b.shape, "shape \(a.shape) vs \(b.shape)")
        var diff = 0.0, norm = 0.0
        for i in 0..<a.count {
            diff += Double(a[flat: i] - b[flat: i]) * Double(a[flat: i] - b[flat: i])
            norm += Double(b[flat: i]) * Double(b[flat: i])
        }
        return diff.squareRoot() / max(norm.squareRoot(), 0.01)
    }

    @Test func oneStepMatchesPyTorch() throws {
        let f = try SafetensorsFile(url: Self.fixtures.appendingPathComponent("finetune_step.safetensors"))
        let backbone = try BackboneLoader.load(folder: Self.backboneFolder)
        var settings = FinetuneSettings(model: Self.backboneFolder.path, dataset: "fixture", output: URL(fileURLWithPath: "/dev/null"))
        settings.options.hidden = 16
        settings.options.styleDim = 4
        settings.options.discHidden = 8
        var rng = RandomStream(seed: 0)
        let heads = ContentStyleModel(dimension: 32, classes: 3, options: settings.options, rng: &rng)
        var headState: [String: Tensor] = [:]
        for name in f.names where name.hasPrefix("heads.") { headState[String(name.dropFirst("heads.".count))] = try f.tensor(name) }
        try heads.load(headState)
        let (backboneLR, headLR): (Float, Float) = (1e-3, 1e-2)
        let generator = Adam.adamW(groups: [
            ParameterGroup(name: "backbone", parameters: backbone.trainableParameters, learningRate: backboneLR, weightDecay: 0.01),
            ParameterGroup(name: "heads", parameters: heads.encoderParameters, learningRate: headLR),
        ])
        let pixels = try f.tensor("input.pixels")
        let step = TrainingStep(finetune: settings, backbone: backbone, heads: heads, generator: generator, discriminator: nil,
                                standardization: Standardization(mean: try f.tensor("input.mean"), std: try f.tensor("input.std"))) {
            Kernels.gatherRows(pixels, $0)
        }
        let labels = try f.int64s("input.labels").map { Int($0) }
        let (terms, tokens) = try step.gradients(labeled: [0, 1], labels: labels, unlabeled: [2, 3, 4, 5])

        #expect(Self.relativeError(tokens[0].tokens, try f.tensor("step.x")) <= 1e-5)
        for (value, name) in [(terms.loss, "loss"), (terms.ce, "ce"), (terms.reconstruction, "rec"),
                              (terms.adversarialContent, "adv_c"), (terms.adversarialStyle, "adv_s")] {
            let expected = try f.tensor("step.\(name)")[flat: 0]
            #expect(abs(value - expected) <= 1e-5 * max(1, abs(expected)), "\(name): \(value) vs \(expected)")
        }
        let parameters = backbone.namedParameters().filter(\.variable.requiresGrad).map { ("backbone.\($0.key)", $0.variable) }
            + heads.namedParameters().filter { f.contains("grad.heads.\($0.key)") }.map { ("heads.\($0.key)", $0.variable) }
        let referenceGradients = f.names.filter { $0.hasPrefix("grad.") }
        #expect(parameters.count == referenceGradients.count, "compared \(parameters.count), the reference has \(referenceGradients.count)")
        var gradients: [String: Tensor] = [:]
        for (key, p) in parameters {
            let g = try #require(p.grad, "no gradient for \(key)")
            let error = Self.relativeError(g, try f.tensor("grad.\(key)"))
            #expect(error <= 1e-3, "\(key): gradient relative error \(error)")
            gradients[key] = g
        }

        // AdamW's first step moves each weight by about lr in the gradient's sign, so it matches
        // wherever the gradient is clearly non-zero; where it is rounding noise (|g| < 1e-5, the
        // key biases) the sign is arbitrary and the step may differ by up to 2 lr.
        generator.step()
        for (key, p) in parameters {
            let after = try f.tensor("after.\(key)"), reference = try f.tensor("grad.\(key)")
            let lr = key.hasPrefix("backbone.") ? backboneLR : headLR
            var worst: Float = 0
            for i in 0..<after.count where abs(reference[flat: i]) >= 1e-5 {
                worst = max(worst, abs(p.value[flat: i] - after[flat: i]))
            }
            #expect(worst <= 2e-5, "\(key): updated weight differs by \(worst)")
            for i in 0..<after.count where abs(reference[flat: i]) < 1e-5 {
                #expect(abs(p.value[flat: i] - after[flat: i]) <= 2.1 * lr)
            }
        }
    }
}
