import CSDTestSupport
import CSDFeatureStore
import CSDHDF5
import CSDMethod
import CSDProbe
import CSDResults
import CSDTensor
import Foundation
import Testing

/// Caches of the same Gaussian clusters under chosen provenance: a home cache (train and test)
/// and evaluation caches (test only), optionally shifted and with a `width` attribute that is
/// written into the tokens' first feature.
enum DomainCache {
    static let dim = 8

    static func write(to url: URL, modelID: String = "clusters", datasetID: String, classes: Int = 4,
                      splits: [String] = ["train", "test"], shift: Float = 0, seed: UInt64 = 1,
                      precision: MatmulPrecision = .fp32) throws {
        var centresRNG = RandomStream(seed: 42)
        let centres = Tensor.randomNormal([classes, dim], std: 2, using: &centresRNG)
        var rng = RandomStream(seed: seed)
        let provenance = CacheProvenance(modelID: modelID, weightsSHA256: "none", token: "cls", preprocessing: "{}",
                                         datasetID: datasetID, datasetFingerprint: datasetID, toolVersion: "test",
                                         dtype: .f32, featureDim: dim, matmulPrecision: precision)
        for split in splits {
            let rows = split == "train" ? 400 : 200
            var features = [Float](), labels = [Int](), width = [Float]()
            for i in 0..<rows {
                let y = i % classes
                labels.append(y)
                let w = 4 * rng.uniform()
                width.append(w)
                for j in 1..<dim { features.append(centres[flat: y * dim + j] + 0.3 * rng.normal() + shift) }
                features.insert(w, at: features.count - (dim - 1))
            }
            let spec = FeatureSplitSpec(name: split, rows: rows, classNames: (0..<classes).map { "c\($0)" },
                                        attributeNames: ["width"])
            let writer = try FeatureCacheWriter(url: url, provenance: provenance, split: spec)
            try writer.append(indices: Array(0..<rows), labels: labels, features: Tensor(features, shape: [rows, dim]),
                              attributes: ["width": width])
            try writer.finish()
        }
    }
}

struct EvaluationCacheTests {
    static func folder(_ name: String = #function) throws -> URL { try makeTempDirectory(name) }

    @Test func evaluationCachesMustShareModelPreprocessingAndClasses() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let home = dir.appendingPathComponent("home.h5")
        try DomainCache.write(to: home, datasetID: "clusters")
        let data = try ProbeData(url: home)

        let other = dir.appendingPathComponent("other-data.h5")
        try DomainCache.write(to: other, datasetID: "shifted-clusters", splits: ["test"], shift: 1)
        let e = try EvaluationCache(spec: other.path, home: data)
        #expect(e.name == "other-data")
        #expect(e.attributes["width"]?.count == 200)
        #expect(try EvaluationCache(spec: "shifted=\(other.path)", home: data).name == "shifted")

        let model = dir.appendingPathComponent("model.h5")
        try DomainCache.write(to: model, modelID: "another-model", datasetID: "clusters", splits: ["test"])
        #expect(throws: OptionError.self) { _ = try EvaluationCache(spec: model.path, home: data) }
        do { _ = try EvaluationCache(spec: model.path, home: data) } catch {
            #expect("\(error)".contains("model_id: \"another-model\" vs \"clusters\""))
        }
        let bf16 = dir.appendingPathComponent("bf16.h5")
        try DomainCache.write(to: bf16, datasetID: "clusters", splits: ["test"], precision: .bf16)
        do {
            _ = try EvaluationCache(spec: bf16.path, home: data)
            Issue.record("a bf16 evaluation cache was accepted next to an fp32 home cache")
        } catch {
            #expect("\(error)".contains("matmul_precision: \"bf16\" vs \"fp32\""), "\(error)")
        }
        let classes = dir.appendingPathComponent("classes.h5")
        try DomainCache.write(to: classes, datasetID: "clusters", classes: 3, splits: ["test"])
        #expect(throws: OptionError.self) { _ = try EvaluationCache(spec: classes.path, home: data) }
        let noTest = dir.appendingPathComponent("train-only.h5")
        try DomainCache.write(to: noTest, datasetID: "clusters", splits: ["train"])
        #expect(throws: OptionError.self) { _ = try EvaluationCache(spec: noTest.path, home: data) }
        #expect(throws: OptionError.self) { _ = try EvaluationCache(spec: "home=\(other.path)", home: data) }
    }

    @Test func stripeAnglesAreAlsoScoredWithoutTheWrapAround() {
        let scored = ReadoutProbe.targets(["stripe_angle": [-90, 0, 45, 90], "width": [1, 2, 3, 4]])
        #expect(Set(scored.keys) == ["stripe_angle", "stripe_angle_cos2", "stripe_angle_sin2", "width"])
        let cos2 = scored["stripe_angle_cos2"]!, sin2 = scored["stripe_angle_sin2"]!
        // -90 and 90 degrees are the same stripes.
        #expect(abs(cos2[0] - cos2[3]) < 1e-6 && abs(sin2[0] - sin2[3]) < 1e-6)
        #expect(abs(cos2[1] - 1) < 1e-6 && abs(sin2[2] - 1) < 1e-6)
    }

    @Test func aSweepReportsEveryDomainAndWhatItsCodesHold() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let home = dir.appendingPathComponent("home.h5")
        try DomainCache.write(to: home, datasetID: "clusters")
        let same = dir.appendingPathComponent("same.h5"), shifted = dir.appendingPathComponent("shifted.h5")
        try DomainCache.write(to: same, datasetID: "clusters-again", splits: ["test"], seed: 2)
        try DomainCache.write(to: shifted, datasetID: "clusters-shifted", splits: ["test"], shift: 3, seed: 3)
        let data = try ProbeData(url: home)
        let evaluations = try [same, shifted].map { try EvaluationCache(spec: $0.path, home: data) }
        var plan = SweepPlan(methods: [.csd, .supervised, .knn], labels: [20], seeds: [0], epochs: 3,
                             options: ProbeTests.smallOptions())
        plan.validationPerClass = 5
        let out = dir.appendingPathComponent("results")
        let rows = try SweepRunner(data: data, plan: plan, directory: out, parallelRuns: 2, evaluations: evaluations,
                                   saveCodes: true).run()
        #expect(rows.count == 3)
        for row in rows {
            let e = try #require(row.evaluations)
            #expect(e.map(\.name) == ["same", "shifted"])
            #expect(e.allSatisfy { $0.testRows == 200 && $0.testErrors.count == max(1, row.epochs) })
            #expect(e.allSatisfy { $0.validationChosenTestError != nil })
            // The same distribution under another name: about the home error.
            #expect(abs(e[0].finalTestError - row.finalTestError) < 0.1)
        }
        let csd = try #require(rows.first { $0.method == "csd" })
        let scores = try #require(csd.disentanglement)
        for domain in ["home", "same", "shifted"] {
            for code in ["tokens", "content", "style"] {
                #expect(scores.contains { $0.domain == domain && $0.code == code && $0.target == "class" })
            }
        }
        // The attribute is a token feature: the tokens read it almost exactly.
        let tokenWidth = try #require(scores.first { $0.domain == "home" && $0.code == "tokens" && $0.target == "width" })
        #expect(tokenWidth.metric == "r2" && tokenWidth.value > 0.95)
        let supervised = try #require(rows.first { $0.method == "supervised" })
        #expect(!(supervised.disentanglement ?? []).contains { $0.code == "style" })
        #expect((supervised.disentanglement ?? []).contains { $0.code == "content" })
        #expect(rows.first { $0.method == "knn" }?.disentanglement == nil)

        // Reports show the domains.
        try ResultsReport.redraw(out)
        let summary = try String(contentsOf: out.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(summary.contains("# Evaluation on `same`") && summary.contains("# Evaluation on `shifted`"))
        #expect(summary.contains("## Domain `shifted`") && summary.contains("width (R^2)"))
        let csv = try String(contentsOf: out.appendingPathComponent("results.csv"), encoding: .utf8)
        #expect(csv.contains("eval.shifted.validation_chosen_test_error"))
        #expect(csv.contains("disentanglement.home.tokens.width.r2"))
        let svg = try String(contentsOf: out.appendingPathComponent("error_vs_labels.svg"), encoding: .utf8)
        #expect(svg.contains("data-domain=\"shifted\""))
        #expect(svg.contains("csd · same"))

        // The saved codes read back.
        let file = try HDF5File(opening: CodesFile.url(runID: csd.runID, results: out).path)
        #expect(try file.stringAttribute("run_id") == csd.runID)
        #expect(try file.stringArrayAttribute("class_names") == data.classNames)
        for (domain, labels, attributes) in [("home", data.testLabels, data.testAttributes),
                                             ("shifted", evaluations[1].labels, evaluations[1].attributes)] {
            let p = try file.openDataset("\(domain)/content_probabilities")
            #expect(try p.shape == [labels.count, 4])
            let values = try p.read(as: Float.self)
            for i in 0..<labels.count { #expect(abs(values[(4 * i)..<(4 * i + 4)].reduce(0, +) - 1) < 1e-4) }
            #expect(try file.openDataset("\(domain)/style").shape == [labels.count, 4])
            #expect(try file.openDataset("\(domain)/labels").read(as: Int64.self).map(Int.init) == labels)
            #expect(try file.openDataset("\(domain)/attributes/width").read(as: Float.self) == attributes["width"])
        }
        try file.close()
        let supervisedCodes = try HDF5File(opening: CodesFile.url(runID: supervised.runID, results: out).path)
        #expect(!supervisedCodes.contains("home/style"))
        #expect(supervisedCodes.contains("same/content_probabilities"))
        try supervisedCodes.close()
    }
}
