import CSDAutograd
import CSDBackbones
import CSDSafetensors
import CSDTensor
import CSDTestSupport
import Foundation
import Testing

/// Every model fixture's `config.json` damaged field by field (each value, nested ones included,
/// replaced by hostile numbers, strings, types, or removed) and byte by byte (`HostileCorpus`:
/// truncation, mutated words, random bytes), loaded with its own weights. Each case loads (and
/// then runs a forward pass) or is one error naming config.json and the field, or the checkpoint
/// when the config describes other shapes than the weights; never a crash, never an allocation
/// beyond `MemoryBound`.
@Suite struct HostileConfigTests {
    /// JSON texts that replace a value: sizes of 0, -1, 2^31, 2^63 and beyond, 1e308, infinity
    /// (1e999 overflows a double), NaN spelled as Python writes it and as a string, other types;
    /// and the largest sizes a config may hold (2^20, 65536, 16384), far beyond the fixture's weights.
    static let hostileValues = ["0", "-1", "1048576", "65536", "16384", "2147483648", "-2147483649", "9223372036854775808", "18446744073709551616",
                                "1e308", "-1e308", "1e999", "0.5", "NaN", "\"NaN\"", "\"Infinity\"", "\"4\"", "true",
                                "null", "[]", "{}", "[1e308]"]

    /// The key paths of every value in the object, objects included, depth first.
    static func keyPaths(_ object: [String: Any], prefix: [String] = []) -> [[String]] {
        object.keys.sorted().flatMap { key -> [[String]] in
            let path = prefix + [key]
            guard let nested = object[key] as? [String: Any] else { return [path] }
            return [path] + keyPaths(nested, prefix: path)
        }
    }

    /// The object with the value at `path` replaced by `value` (nil removes the key).
    static func replacing(_ object: [String: Any], at path: [String], with value: Any?) -> [String: Any] {
        var copy = object
        if path.count == 1 {
            copy[path[0]] = value
        } else if let nested = object[path[0]] as? [String: Any] {
            copy[path[0]] = replacing(nested, at: Array(path.dropFirst()), with: value)
        }
        return copy
    }

    /// Field-level variants (the name says the field) and byte-level ones of a config text.
    static func variants(of text: [UInt8]) throws -> [(variant: HostileCorpus.Variant, field: String?)] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text)) as? [String: Any])
        let placeholder = "@@hostile@@"
        func json(_ o: [String: Any]) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
        }
        var out: [(HostileCorpus.Variant, String?)] = []
        for path in keyPaths(object) {
            let name = path.joined(separator: ".")
            let template = try json(replacing(object, at: path, with: placeholder))
            // An error must name a damaged value's field; an object's fields or a null (which reads
            // as the default) may fail on another field.
            let isObject = path.count < keyPaths(object).filter { $0.starts(with: path) }.map(\.count).max()!
            for value in hostileValues {
                let bytes = Array(template.replacingOccurrences(of: "\"\(placeholder)\"", with: value).utf8)
                let field = isObject || value == "null" ? nil : path.last
                out.append((HostileCorpus.Variant(name: "\(name) = \(value)", bytes: bytes, mustFail: false), field))
            }
            out.append((HostileCorpus.Variant(name: "\(name) removed", bytes: Array(try json(replacing(object, at: path, with: nil)).utf8),
                                              mustFail: false), nil))
        }
        // A cut that keeps the closing brace (only trailing white space lost) is still the config.
        let closing = text.lastIndex(of: UInt8(ascii: "}"))!
        for v in HostileCorpus.variants(of: text, header: 8, samples: 48) {
            out.append((HostileCorpus.Variant(name: v.name, bytes: v.bytes, mustFail: v.mustFail && v.bytes.count <= closing), nil))
        }
        return out
    }

    @Test(arguments: ["dinov2_tiny", "dinov2_reg_tiny", "dinov2_swiglu_tiny", "clip_tiny", "radio_tiny", "radio_tiny_hub"])
    func everyDamagedConfigIsAClearError(fixture: String) throws {
        let source = try BackboneParityTests.fixture(fixture)
        let folder = TemporaryFolder()
        let weights = source.appendingPathComponent("model.safetensors")
        try FileManager.default.copyItem(at: weights, to: folder.fileURL("model.safetensors"))
        let config = folder.fileURL("config.json")
        let original = [UInt8](try Data(contentsOf: source.appendingPathComponent("config.json")))
        let cases = [(variant: HostileCorpus.Variant(name: "undamaged", bytes: original, mustFail: false), field: String?.none)]
            + (try Self.variants(of: original))
        let fields = Dictionary(cases.map { ($0.variant.name, $0.field) }, uniquingKeysWith: { a, _ in a })
        let weightBytes = try Data(contentsOf: weights).count
        let report = HostileCorpus.failures(cases.map(\.variant), fileBytes: weightBytes) { variant in
            do {
                try Data(variant.bytes).write(to: config)
                let model = try BackboneLoader.load(folder: folder.url)
                let side = model.nativeImageSize
                _ = GradMode.withoutGradients { model(Variable(Tensor(zeros: [1, 3, side, side]))) }
                return variant.mustFail ? "\(variant.name): loaded without an error" : nil
            } catch let error as BackboneConfigError {
                if variant.name == "undamaged" || !error.file.hasPrefix(config.path) {
                    return "\(variant.name): \(error)"
                }
                if let field = fields[variant.name] ?? nil, !error.message.contains(field),
                   !error.message.contains("does not belong to these weights") {
                    return "\(variant.name): the error does not name the field: \(error)"
                }
                return nil
            } catch let error as SafetensorsError {
                return variant.name == "undamaged" || error.path != folder.file("model.safetensors") ? "\(variant.name): \(error)" : nil
            } catch {
                return "\(variant.name): neither a config nor a checkpoint error: \(error)"
            }
        }
        #expect(report == nil, "\(fixture): \(report ?? "")")
    }
}
