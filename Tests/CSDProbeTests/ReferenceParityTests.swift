import CSDAutograd
import CSDNN
import CSDProbe
import CSDMethod
import CSDResults
import CSDSafetensors
import CSDTensor
import Foundation
import Testing

/// Agreement with the plain PyTorch implementation of docs/METHOD.md (tools/csd_reference.py, via
/// tools/make_probe_fixtures.py): the same labeled subsets, and the same losses and gradients.
struct ReferenceParityTests {
    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    }

    @Test func subsetsMatchTheReferenceExactly() throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: try Self.fixture("subsets.json"))) as! [String: Any]
        let labels = json["labels"] as! [Int]
        let classes = json["num_classes"] as! Int
        let cases = json["subsets"] as! [[String: Any]]
        #expect(cases.count >= 9)
        for c in cases {
            let seed = c["seed"] as! Int
            let requested = c["labels_requested"] as! String
            let n = requested == "all" ? nil : Int(requested)
            let ours = LabelSubsets.subset(labels: labels, classes: classes, size: n, seed: seed)
            #expect(ours == (c["indices"] as! [Int]), "seed \(seed), n \(requested)")
        }
        for vector in json["splitmix64_vectors"] as! [[String: String]] {
            let input = UInt64(vector["input"]!.dropFirst(2), radix: 16)!
            #expect(String(LabelSubsets.splitmix64(input), radix: 16) == String(UInt64(vector["output"]!.dropFirst(2), radix: 16)!, radix: 16))
        }
    }

    static func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        var diff: Float = 0, scale: Float = 0
        for i in 0..<a.count { diff = max(diff, abs(a[flat: i] - b[flat: i])); scale = max(scale, abs(b[flat: i])) }
        return diff / max(scale, 1e-3)
    }

    @Test(arguments: ["default", "mse_label", "weights"])
    func lossesAndGradientsMatchPyTorch(_ name: String) throws {
        let f = try SafetensorsFile(url: try Self.fixture("objective_parity.safetensors"))
        let cases = try JSONSerialization.jsonObject(with: Data(f.metadata["cases"]!.utf8)) as! [String: [String: Any]]
        var options = MethodOptions()
        for (key, value) in cases[name]! {
            try options.set(key, key == "standardize" ? ((value as? Bool) == true ? "true" : "false") : "\(value)")
        }
        var state: [String: Tensor] = [:]
        for key in f.names where !key.contains(".") == false && !key.hasPrefix("input.") && !key.hasPrefix("forward.")
            && !key.hasPrefix("default.") && !key.hasPrefix("mse_label.") && !key.hasPrefix("weights.") {
            state[key] = try f.tensor(key)
        }
        let xl = try f.tensor("input.x_labeled"), xu = try f.tensor("input.x_unlabeled")
        let labels = try f.int64s("input.labels").map { Int($0) }
        var rng = RandomStream(seed: 0)
        let model = ContentStyleModel(dimension: xl.shape[1], classes: 3, options: options, rng: &rng)
        try model.load(state, strict: false)

        let x = Variable(Kernels.concat([xl, xu], axis: 0))
        let terms = ContentStyleObjective.generatorLoss(model: model, x: x, labels: labels, options: options)
        model.zeroGrad()
        terms.total.backward()
        #expect(Self.relativeError(terms.total.value, try f.tensor("\(name).gen.loss")) <= 1e-4, "generator loss")
        #expect(abs(terms.ce - (try f.tensor("\(name).gen.ce")).item) <= 1e-5)
        #expect(abs(terms.reconstruction - (try f.tensor("\(name).gen.rec")).item) <= 1e-5)
        for (key, p) in model.namedParameters() where f.contains("\(name).gen.grad.\(key)") {
            let err = Self.relativeError(p.grad ?? Tensor(zeros: p.shape), try f.tensor("\(name).gen.grad.\(key)"))
            #expect(err <= 1e-4, "\(name): generator gradient of \(key): \(err)")
        }

        if let loss = ContentStyleObjective.discriminatorLoss(
            model: model, probabilities: terms.probabilities, style: terms.style,
            priorOneHots: try f.tensor("input.prior_one_hots"), gaussian: try f.tensor("input.gaussian")) {
            model.zeroGrad()
            loss.backward()
            #expect(Self.relativeError(loss.value, try f.tensor("\(name).disc.loss")) <= 1e-4, "discriminator loss")
            for (key, p) in model.namedParameters() where f.contains("\(name).disc.grad.\(key)") {
                let err = Self.relativeError(p.grad ?? Tensor(zeros: p.shape), try f.tensor("\(name).disc.grad.\(key)"))
                #expect(err <= 1e-4, "\(name): discriminator gradient of \(key): \(err)")
            }
        }
    }
}
