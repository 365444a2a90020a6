import CSDTestSupport
import CSDAutograd
import CSDFeatureStore
import CSDProbe
import CSDMethod
import CSDResults
import CSDSystem
import CSDTensor
import Foundation
import Testing

/// A cache of Gaussian clusters: class c is centred on a random direction, so the tokens are
/// separable; an optional NaN makes a broken cache.
enum ClusterCache {
    static func write(to url: URL, classes: Int = 4, train: Int = 400, test: Int = 200, dim: Int = 16,
                      spread: Float = 0.3, poison: Bool = false, splits: [String] = ["train", "test"],
                      namedClasses: Int? = nil) throws {
        var rng = RandomStream(seed: 42)
        let centres = Tensor.randomNormal([classes, dim], std: 2, using: &rng)
        let provenance = CacheProvenance(modelID: "clusters", weightsSHA256: "none", token: "cls", preprocessing: "{}",
                                         datasetID: "clusters", datasetFingerprint: "seed42", toolVersion: "test",
                                         dtype: .f32, featureDim: dim)
        for split in splits {
            let rows = split == "train" ? train : test
            var features = [Float](), labels = [Int]()
            for i in 0..<rows {
                let y = i % classes
                labels.append(y)
                for j in 0..<dim { features.append(centres[flat: y * dim + j] + spread * rng.normal()) }
            }
            if poison && split == "train" { features[5] = .nan }
            let spec = FeatureSplitSpec(name: split, rows: rows, classNames: (0..<(namedClasses ?? classes)).map { "c\($0)" })
            let writer = try FeatureCacheWriter(url: url, provenance: provenance, split: spec,
                                                options: .init(allowNonFinite: poison))
            try writer.append(indices: Array(0..<rows), labels: labels, features: Tensor(features, shape: [rows, dim]))
            try writer.finish()
        }
    }

    static func temporary(_ name: String = #function) throws -> URL { try makeTempDirectory(name) }
}

struct ProbeTests {
    static func smallOptions() -> MethodOptions {
        var o = MethodOptions()
        o.hidden = 32; o.styleDim = 4; o.discHidden = 16; o.unlabeledBatch = 64; o.labeledBatch = 16
        return o
    }

    @Test(arguments: [TrainingMethod.csd, .supervised, .linear, .knn])
    func separableTokensReachNearZeroError(_ method: TrainingMethod) throws {
        let dir = try ClusterCache.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("c.h5")
        try ClusterCache.write(to: url)
        let data = try ProbeData(url: url)
        let outcome = ProbeTrainer.run(RunSpec(method: method, labels: 40, seed: 0, options: Self.smallOptions(), epochs: 30),
                                       data: data)
        #expect(outcome.labeledIndices.count == 40)
        #expect(outcome.errors.test.min()! <= 0.02, "\(method): errors \(outcome.errors.test)")
    }

    @Test func theSameSeedGivesTheSameNumbers() throws {
        let dir = try ClusterCache.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("c.h5")
        try ClusterCache.write(to: url, spread: 1.5)
        let data = try ProbeData(url: url)
        let spec = RunSpec(method: .csd, labels: 8, seed: 3, options: Self.smallOptions(), epochs: 2)
        let a = ProbeTrainer.run(spec, data: data), b = ProbeTrainer.run(spec, data: data)
        #expect(a.errors.test == b.errors.test)
        #expect(a.labeledIndices == b.labeledIndices)
    }

    /// disc_codes=step: the discriminators train on the generator step's codes (no second
    /// encoder forward): a different run, as deterministic, and it still separates the clusters.
    @Test func discriminatorsOnTheGeneratorStepsCodes() throws {
        let dir = try ClusterCache.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("c.h5")
        try ClusterCache.write(to: url)
        let data = try ProbeData(url: url)
        var options = Self.smallOptions()
        try options.set("disc_codes", "step")
        #expect(options.nonDefault.contains("disc_codes=step") && options.values["disc_codes"] == "step")
        #expect(throws: OptionError.self) { try options.set("disc_codes", "stale") }
        let step = RunSpec(method: .csd, labels: 40, seed: 3, options: options, epochs: 10)
        let updated = RunSpec(method: .csd, labels: 40, seed: 3, options: Self.smallOptions(), epochs: 10)
        let a = ProbeTrainer.run(step, data: data), b = ProbeTrainer.run(step, data: data)
        #expect(a.errors.test == b.errors.test)
        #expect(step.runID != updated.runID)
        #expect(a.errors.test.min()! <= 0.05, "errors \(a.errors.test)")
    }

    /// head_precision=bf16: the heads' products in bf16 (every head layer set, the linear
    /// probe's too), a run of its own, still learning; fp32 leaves the recorded options as before.
    @Test(arguments: [TrainingMethod.csd, .linear])
    func headsInBF16AreAnotherRunThatStillLearns(method: TrainingMethod) throws {
        let dir = try ClusterCache.temporary("\(#function)-\(method)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("c.h5")
        try ClusterCache.write(to: url)
        let data = try ProbeData(url: url)
        #expect(Self.smallOptions().values["head_precision"] == nil)
        var options = Self.smallOptions()
        try options.set("head_precision", "bf16")
        #expect(options.nonDefault.contains("head_precision=bf16"))
        #expect(throws: OptionError.self) { try options.set("head_precision", "fp16") }
        var rng = RandomStream(seed: 0)
        let heads = ContentStyleModel(dimension: 16, classes: 4, options: options, rng: &rng)
        #expect(heads.descendants.allSatisfy { $0.matmulPrecision == .bf16 })
        let bf16 = RunSpec(method: method, labels: 40, seed: 3, options: options, epochs: 10)
        let fp32 = RunSpec(method: method, labels: 40, seed: 3, options: Self.smallOptions(), epochs: 10)
        #expect(bf16.runID != fp32.runID)
        let a = ProbeTrainer.run(bf16, data: data), b = ProbeTrainer.run(fp32, data: data)
        #expect(a.errors.test != b.errors.test || a.errors.test.allSatisfy { $0 == 0 })
        // Chance is 0.75; bf16 learns as well as fp32 to within a few test rows.
        #expect(a.errors.test.min()! <= b.errors.test.min()! + 0.03, "bf16 \(a.errors.test) vs fp32 \(b.errors.test)")
        #expect(a.errors.test.min()! <= 0.1)
    }

    @Test func sweepWritesEveryOutputAndSkipsFinishedRuns() throws {
        let dir = try ClusterCache.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("c.h5")
        try ClusterCache.write(to: url)
        let data = try ProbeData(url: url)
        let plan = SweepPlan(methods: [.csd, .supervised], labels: [8, nil], seeds: [0, 1], epochs: 1, options: Self.smallOptions())
        let out = dir.appendingPathComponent("sweep")
        let first = try SweepRunner(data: data, plan: plan, directory: out, parallelRuns: 2).run()
        #expect(first.count == 8)
        try ResultsReport.redraw(out)
        for file in ["results.jsonl", "results.csv", "summary.md", "error_vs_labels.svg", "subsets/seed-0.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file) missing")
        }
        let again = try SweepRunner(data: data, plan: plan, directory: out, parallelRuns: 2).run()
        #expect(again.isEmpty, "a finished sweep ran \(again.count) cells again")
    }

    @Test func subsetFilesListTheValidationRowsAndNotEveryTrainRow() throws {
        let dir = try ClusterCache.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("c.h5")
        try ClusterCache.write(to: url)
        let data = try ProbeData(url: url)
        let plan = SweepPlan(methods: [.supervised], labels: [8, nil], seeds: [0], epochs: 1, options: Self.smallOptions(),
                             validationPerClass: 2)
        let out = dir.appendingPathComponent("sweep")
        _ = try SweepRunner(data: data, plan: plan, directory: out, parallelRuns: 1).run()
        let file = try Data(contentsOf: out.appendingPathComponent("subsets/seed-0.json"))
        let subsets = try #require((try JSONSerialization.jsonObject(with: file) as? [String: Any])?["subsets"] as? [String: [Int]])
        #expect(subsets["all"] == [])
        #expect(subsets["validation"]?.count == 2 * data.classes)
        #expect(Set(subsets["8"] ?? []).isDisjoint(with: subsets["validation"] ?? []))
        #expect(subsets["8"]?.count == 8)
    }

    @Test func badInputIsRefusedBeforeTraining() throws {
        let dir = try ClusterCache.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let onlyTrain = dir.appendingPathComponent("train-only.h5")
        try ClusterCache.write(to: onlyTrain, splits: ["train"])
        #expect { _ = try ProbeData(url: onlyTrain) } throws: { "\($0)".contains("no 'test' split") }

        // Without class names (an empty class_names), the labels define the classes 0..<4.
        let unnamed = dir.appendingPathComponent("unnamed.h5")
        try ClusterCache.write(to: unnamed, namedClasses: 0)
        #expect(try ProbeData(url: unnamed).classNames == ["0", "1", "2", "3"])

        let poisoned = dir.appendingPathComponent("nan.h5")
        try ClusterCache.write(to: poisoned, poison: true)
        #expect { _ = try ProbeData(url: poisoned) } throws: { "\($0)".lowercased().contains("nan") || "\($0)".contains("finite") }

        var options = MethodOptions()
        #expect { try options.set("w_style", "1") } throws: { "\($0)".contains("unknown option 'w_style'") }
        #expect { try options.set("reconstruction", "l1") } throws: { "\($0)".contains("cosine, mse") }

        let url = dir.appendingPathComponent("c.h5")
        try ClusterCache.write(to: url)
        let data = try ProbeData(url: url)
        let tooMany = SweepPlan(methods: [.csd], labels: [10_000], seeds: [0], epochs: 1, options: options)
        #expect { _ = try SweepRunner(data: data, plan: tooMany, directory: dir.appendingPathComponent("x"), parallelRuns: 1) }
            throws: { "\($0)".contains("has 400 samples") }
    }

    /// As extract's (`FeatureCacheOutputTests.aReadOnlyOutputFolderIsOneErrorNamingTheFolder`):
    /// the folder, or the existing folder under which a new one cannot be made, named before any run.
    @Test func aReadOnlyOutFolderIsOneErrorNamingTheFolder() throws {
        let dir = TemporaryFolder()
        let url = dir.fileURL("c.h5")
        try ClusterCache.write(to: url)
        let data = try ProbeData(url: url)
        let plan = SweepPlan(methods: [.knn], labels: [20], seeds: [0], epochs: 1, options: Self.smallOptions())
        let folder = dir.fileURL("readonly")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        chmod(folder.path, 0o555)
        defer { chmod(folder.path, 0o755) }
        // Root (as CI runs the tests) writes into any folder whatever its mode: nothing to assert.
        // By hand as root: setpriv --reuid=65534 --regid=65534 --clear-groups .build/debug/probe ...
        guard geteuid() != 0 else { return }
        for out in [folder, folder.appendingPathComponent("sweep")] {
            let error = #expect(throws: OutputFolder.Unwritable.self) {
                try SweepRunner(data: data, plan: plan, directory: out, parallelRuns: 1)
            }
            #expect(error == OutputFolder.Unwritable(path: folder.path, code: EACCES))
            #expect(error?.description == "\(folder.path): the output folder is not writable (Permission denied); choose another output or make the folder writable")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func subsetsAreClassBalancedAndNested() {
        let labels = (0..<500).map { ($0 * 7) % 10 }
        for seed in 0..<3 {
            var previous: Set<Int> = []
            for n in [10, 25, 50, 100, 250] {
                let s = LabelSubsets.subset(labels: labels, classes: 10, size: n, seed: seed)
                #expect(s.count == n)
                var counts = [Int](repeating: 0, count: 10)
                for i in s { counts[labels[i]] += 1 }
                #expect(counts.max()! - counts.min()! <= 1, "n=\(n): \(counts)")
                #expect(previous.isSubset(of: Set(s)), "subset of size \(n) does not contain the smaller one")
                previous = Set(s)
            }
        }
        #expect(LabelSubsets.subset(labels: labels, classes: 10, size: 10, seed: 0)
                != LabelSubsets.subset(labels: labels, classes: 10, size: 10, seed: 1))
    }
}
