import CSDBackbones
import CSDSafetensors
import CSDTensor
import Foundation
import Testing

/// A checkpoint or config the loader cannot use fails with a message naming the tensor or field.
struct BackboneLoadingErrorTests {
    /// A private copy of a fixture folder whose weights and config a test may edit.
    static func copy(_ fixture: String, edit: (inout [(String, Tensor)], inout [String: Any]) -> Void) throws -> URL {
        let source = try BackboneParityTests.fixture(fixture)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("csd-backbone-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors"))
        var tensors = try file.names.filter { try file.info($0).dtype == .f32 }.map { ($0, try file.tensor($0)) }
        let integers = try file.names.filter { try file.info($0).dtype == .i64 }
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        edit(&tensors, &config)
        let entries = tensors.map { SafetensorsEntry.tensor($0.0, $0.1) } + (try integers.map { .int64($0, try file.int64s($0)) })
        try SafetensorsWriter.write(entries, to: dir.appendingPathComponent("model.safetensors"))
        try JSONSerialization.data(withJSONObject: config).write(to: dir.appendingPathComponent("config.json"))
        return dir
    }

    static func expectFailure(_ dir: URL, mentioning fragments: [String]) {
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            _ = try BackboneLoader.load(folder: dir)
            Issue.record("loading succeeded; expected an error mentioning \(fragments)")
        } catch {
            let text = "\(error)"
            for f in fragments { #expect(text.contains(f), "error '\(text)' does not mention '\(f)'") }
        }
    }

    @Test func missingTensorIsNamed() throws {
        let dir = try Self.copy("dinov2_tiny") { t, _ in t.removeAll { $0.0 == "encoder.layer.1.mlp.fc2.bias" } }
        Self.expectFailure(dir, mentioning: ["encoder.layer.1.mlp.fc2.bias"])
    }

    @Test func extraTensorIsNamed() throws {
        let dir = try Self.copy("clip_tiny") { t, _ in t.append(("vision_model.encoder.layers.7.extra.weight", Tensor(zeros: [2]))) }
        Self.expectFailure(dir, mentioning: ["vision_model.encoder.layers.7.extra.weight"])
    }

    @Test func misshapedTensorIsNamed() throws {
        let dir = try Self.copy("radio_tiny") { t, _ in
            let i = t.firstIndex { $0.0 == "radio_model.model.blocks.0.attn.qkv.weight" }!
            t[i].1 = Tensor(zeros: [95, 32])
        }
        Self.expectFailure(dir, mentioning: ["radio_model.model.blocks.0.attn.qkv.weight", "[95, 32]"])
    }

    @Test func unknownModelTypeIsNamed() throws {
        let dir = try Self.copy("dinov2_tiny") { _, c in c["model_type"] = "swin" }
        Self.expectFailure(dir, mentioning: ["model_type", "swin"])
    }

    @Test func unsupportedActivationIsNamed() throws {
        let dir = try Self.copy("clip_tiny") { _, c in c["hidden_act"] = "gelu_pytorch_tanh" }
        Self.expectFailure(dir, mentioning: ["hidden_act", "gelu_pytorch_tanh"])
    }

    @Test func inconsistentHeadsAreNamed() throws {
        let dir = try Self.copy("dinov2_tiny") { _, c in c["num_attention_heads"] = 5 }
        Self.expectFailure(dir, mentioning: ["num_attention_heads"])
    }

    @Test func wrongFieldTypeIsNamed() throws {
        let dir = try Self.copy("dinov2_tiny") { _, c in c["hidden_size"] = "large" }
        Self.expectFailure(dir, mentioning: ["hidden_size"])
    }

    @Test func folderWithoutWeightsSaysSo() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("csd-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(#"{"model_type": "dinov2", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 4}"#.utf8)
            .write(to: dir.appendingPathComponent("config.json"))
        Self.expectFailure(dir, mentioning: ["model.safetensors"])
    }

    @Test func everyPresetDescribesAValidArchitecture() throws {
        for preset in BackbonePresets.all {
            let summary = try BackboneLoader.architecture(config: preset.configObject)
            #expect(summary.family == preset.family, "\(preset.name)")
            #expect(summary.width > 0 && summary.layers > 0 && summary.patchSize > 0, "\(preset.name)")
        }
    }
}

/// Hostile or broken config values stop with the field named, before any size is used.
struct ConfigValueTests {
    @Test(arguments: [
        ("dinov2_tiny", "patch_size", 0 as Any, "patch_size"),
        ("dinov2_tiny", "num_attention_heads", 5 as Any, "does not divide"),
        ("dinov2_tiny", "hidden_size", 1 << 40 as Any, "hidden_size"),
        ("dinov2_tiny", "layer_norm_eps", -1e-6 as Any, "layer_norm_eps"),
        ("dinov2_tiny", "mlp_ratio", 1e300 as Any, "mlp_ratio"),
        ("dinov2_tiny", "image_size", 2 as Any, "image_size"),
        ("dinov2_tiny", "num_hidden_layers", -1 as Any, "num_hidden_layers"),
        ("clip_tiny", "patch_size", 0 as Any, "patch_size"),
        ("clip_tiny", "intermediate_size", 0 as Any, "intermediate_size"),
        ("radio_tiny", "patch_size", 0 as Any, "patch_size"),
        ("radio_tiny", "mlp_ratio", -4 as Any, "mlp_ratio"),
    ])
    func badValueIsNamed(fixture: String, field: String, value: Any, fragment: String) throws {
        let dir = try BackboneLoadingErrorTests.copy(fixture) { _, config in
            if fixture == "clip_tiny", var vision = config["vision_config"] as? [String: Any] {
                vision[field] = value
                config["vision_config"] = vision
            } else {
                config[field] = value
            }
        }
        BackboneLoadingErrorTests.expectFailure(dir, mentioning: [fragment, "config.json"])
    }
}
