import CSDAutograd
import CSDBackbones
import CSDSafetensors
import CSDTensor
import Foundation
import Testing

/// Backward parity with PyTorch autograd on the tiny checkpoints (float64 reference gradients by
/// tools/make_backbone_grad_fixtures.py): the gradient of a fixed linear loss on the outputs with
/// respect to every parameter and to the input, at native and interpolated sizes.
struct BackboneGradientParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let folder: String
        let entry: String
        var testDescription: String { "\(folder) \(entry)" }
    }

    static let cases: [Case] = [
        Case(folder: "dinov2_tiny", entry: "native"), Case(folder: "dinov2_tiny", entry: "other"),
        Case(folder: "dinov2_swiglu_tiny", entry: "native"), Case(folder: "dinov2_swiglu_tiny", entry: "other"),
        Case(folder: "dinov2_reg_tiny", entry: "native"), Case(folder: "dinov2_reg_tiny", entry: "other"),
        Case(folder: "clip_tiny", entry: "native"), Case(folder: "clip_tiny", entry: "other"),
        Case(folder: "radio_tiny", entry: "native"), Case(folder: "radio_tiny", entry: "other"),
        Case(folder: "radio_tiny", entry: "large"),
    ]

    /// ||a - b|| / max(||b||, 0.01). The floor makes the check absolute (1e-5) for gradients that
    /// are zero in exact arithmetic: attention key biases shift every logit of a row equally, so
    /// softmax ignores them and their float32 gradients are pure rounding noise (PyTorch's too).
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
        precondition(a.shape == b.shape, "shape \(a.shape) vs \(b.shape)")
        var diff = 0.0, norm = 0.0
        for i in 0..<a.count {
            let (x, y) = (Double(a[flat: i]), Double(b[flat: i]))
            diff += (x - y) * (x - y)
            norm += y * y
        }
        return diff.squareRoot() / max(norm.squareRoot(), 0.01)
    }

    /// The fixture's loss on the outputs: a weighted sum of the tokens and the image token, plus
    /// the patch mean (DINOv2) or the projected embedding (CLIP).
    static func loss(_ model: any Backbone, _ out: BackboneOutput, _ f: SafetensorsFile, _ entry: String) throws -> Variable {
        func weighted(_ v: Variable, _ name: String) throws -> Variable {
            (v * Variable(try f.tensor("\(entry).weight.\(name)"))).sum()
        }
        var total = try weighted(out.tokens, "tokens") + weighted(out.imageToken, "image")
        if f.contains("\(entry).weight.patch_mean") { total = total + (try weighted(out.patchMean, "patch_mean")) }
        if f.contains("\(entry).weight.image_embeds"), let clip = model as? CLIPVisionModel {
            let projection = try #require(clip.projection)
            total = total + (try weighted(projection(out.imageToken), "image_embeds"))
        }
        return total
    }

    func check(_ c: Case, recompute: Bool) throws {
        let folder = try BackboneParityTests.fixture(c.folder)
        let model = try BackboneLoader.load(folder: folder)
        model.recomputeActivations(recompute)
        let f = try SafetensorsFile(url: folder.appendingPathComponent("gradients.safetensors"))
        let pixels = Variable(try f.tensor("\(c.entry).pixel_values"), requiresGrad: true)
        let out = model(pixels)
        let loss = try Self.loss(model, out, f, c.entry)
        let expectedLoss = try f.tensor("\(c.entry).loss")[flat: 0]
        #expect(abs(loss.value.item - expectedLoss) <= 1e-4 * max(1, abs(expectedLoss)), "\(c): loss \(loss.value.item) vs \(expectedLoss)")
        loss.backward()
        let inputError = Self.relativeError(try #require(pixels.grad), try f.tensor("\(c.entry).grad.pixel_values"))
        #expect(inputError <= 1e-3, "\(c): input gradient relative error \(inputError)")
        var compared = 0
        for (key, p) in model.namedParameters() where p.requiresGrad {
            let name = "\(c.entry).grad.\(key)"
            guard f.contains(name) else {
                Issue.record("\(c): the reference has no gradient for \(key)")
                continue
            }
            let error = Self.relativeError(try #require(p.grad, "\(c): no gradient for \(key)"), try f.tensor(name))
            #expect(error <= 1e-3, "\(c): \(key) gradient relative error \(error)")
            compared += 1
        }
        let referenceCount = f.names.filter { $0.hasPrefix("\(c.entry).grad.") && $0 != "\(c.entry).grad.pixel_values" }.count
        #expect(compared == referenceCount, "\(c): compared \(compared) parameter gradients, the reference has \(referenceCount)")
    }

    @Test(arguments: cases)
    func matchesPyTorchAutograd(_ c: Case) throws { try check(c, recompute: false) }

    /// Recomputing each block's activations in the backward pass gives the same gradients.
    @Test(arguments: cases.filter { $0.entry == "other" })
    func matchesWithActivationRecomputation(_ c: Case) throws { try check(c, recompute: true) }
}
