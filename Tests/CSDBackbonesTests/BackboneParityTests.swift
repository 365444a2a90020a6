import CSDAutograd
import CSDBackbones
import CSDSafetensors
import CSDTensor
import Foundation
import Testing

/// Forward parity with transformers on tiny random-weight checkpoints (tools/make_backbone_fixtures.py):
/// every token and the image-level token, at the native size and at a non-native, non-square one.
struct BackboneParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let folder: String
        let entry: String
        var options = BackboneOptions()
        var testDescription: String { "\(folder) \(entry)" }
    }

    static let cases: [Case] = [
        Case(folder: "dinov2_tiny", entry: "native"),
        Case(folder: "dinov2_tiny", entry: "other"),
        Case(folder: "dinov2_tiny", entry: "orig", options: BackboneOptions(dinov2Interpolation: .bicubicOriginal)),
        Case(folder: "dinov2_tiny_sharded", entry: "native"),
        Case(folder: "dinov2_tiny_sharded", entry: "other"),
        Case(folder: "dinov2_swiglu_tiny", entry: "native"),
        Case(folder: "dinov2_swiglu_tiny", entry: "other"),
        Case(folder: "dinov2_reg_tiny", entry: "native"),
        Case(folder: "dinov2_reg_tiny", entry: "other"),
        Case(folder: "clip_tiny", entry: "native"),
        Case(folder: "clip_tiny", entry: "other"),
        Case(folder: "clip_tiny", entry: "native", options: BackboneOptions(clipImageEmbeds: true)),
        Case(folder: "clip_tiny", entry: "other", options: BackboneOptions(clipImageEmbeds: true)),
        Case(folder: "radio_tiny", entry: "native"),
        Case(folder: "radio_tiny", entry: "other"),
        Case(folder: "radio_tiny", entry: "large"),
        Case(folder: "radio_tiny_hub", entry: "native"),
        Case(folder: "radio_tiny_hub", entry: "other"),
        Case(folder: "radio_tiny_hub", entry: "large"),
    ]

    static func fixture(_ folder: String) throws -> URL {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return root.appendingPathComponent(folder)
    }

    static func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape, "shape \(a.shape) vs \(b.shape)")
        var m: Float = 0
        for i in 0..<a.count { m = max(m, abs(a[flat: i] - b[flat: i])) }
        return m
    }

    @Test(arguments: cases)
    func matchesTransformers(_ c: Case) throws {
        let folder = try Self.fixture(c.folder)
        let model = try BackboneLoader.load(folder: folder, options: c.options)
        let expected = try SafetensorsFile(url: folder.appendingPathComponent("expected.safetensors"))
        let pixels = Variable(try expected.tensor("\(c.entry).pixel_values"))
        let out = GradMode.withoutGradients { model(pixels) }
        let tokens = try expected.tensor("\(c.entry).last_hidden_state")
        #expect(out.tokens.shape == tokens.shape)
        let tokenError = Self.maxAbsDiff(out.tokens.value, tokens)
        #expect(tokenError <= 1e-4, "\(c.testDescription): tokens max abs error \(tokenError)")
        let imageName = c.options.clipImageEmbeds ? "image_embeds" : (c.folder.hasPrefix("radio") ? "summary" : "pooled")
        let imageError = Self.maxAbsDiff(out.imageToken.value, try expected.tensor("\(c.entry).\(imageName)"))
        #expect(imageError <= 1e-4, "\(c.testDescription): \(imageName) max abs error \(imageError)")
        if expected.contains("\(c.entry).features") {
            // RADIO's spatial features: the tokens after the prefix.
            let prefix = out.tokens.shape[1] - (try expected.tensor("\(c.entry).features")).shape[1]
            let features = out.tokens.slice(axis: 1, prefix..<out.tokens.shape[1]).value
            #expect(Self.maxAbsDiff(features, try expected.tensor("\(c.entry).features")) <= 1e-4)
        }
        if expected.contains("\(c.entry).patch_mean") {
            let meanError = Self.maxAbsDiff(out.patchMean.value, try expected.tensor("\(c.entry).patch_mean"))
            #expect(meanError <= 1e-4, "\(c.testDescription): patch mean max abs error \(meanError)")
        }
    }
}
