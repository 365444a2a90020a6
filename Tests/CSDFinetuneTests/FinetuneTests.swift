import CSDTestSupport
import CSDAutograd
import CSDBackbones
import CSDData
import CSDExtract
import CSDFeatureStore
import CSDImage
import CSDNN
@testable import CSDFinetune
import CSDMethod
import CSDResults
import CSDProbe
import CSDSafetensors
import CSDTensor
import Foundation
import Logging
import Testing

/// End-to-end finetune runs on a tiny DINOv2 (2 blocks of width 32, 16 px images of the
/// `synthetic` set): learning, determinism, exact resume, accumulation, the cached target, and
/// the errors a user meets first.
struct FinetuneTests {
    static let dataset = "synthetic:?train=120&test=60&size=16"
    static let logger = Logger(label: "finetune-tests") { _ in SwiftLogNoOpLogHandler() }

    /// A model folder with random weights: config.json + model.safetensors in hub layout.
    static func tinyModel(_ root: URL) throws -> URL {
        let config: [String: Any] = ["model_type": "dinov2", "hidden_size": 32, "num_hidden_layers": 2,
                                     "num_attention_heads": 4, "mlp_ratio": 4, "patch_size": 4, "image_size": 16,
                                     "layer_norm_eps": 1e-6, "hidden_act": "gelu"]
        let json = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        let model = try BackboneLoader.randomlyInitialised(config: ConfigObject(config, file: "tiny"), seed: 3)
        let folder = root.appendingPathComponent("tiny-dinov2")
        try TrainingCheckpoint.writeModelFolder(folder, backbone: model, configJSON: json)
        return folder
    }

    static func settings(_ root: URL, _ name: String, model: URL, method: TrainingMethod = .csd) -> FinetuneSettings {
        var s = FinetuneSettings(model: model.path, dataset: dataset, output: root.appendingPathComponent(name))
        s.method = method
        s.labels = 40
        s.epochs = 3
        s.backboneLR = 1e-3
        s.options.unlabeledBatch = 40
        s.options.labeledBatch = 20
        s.options.hidden = 64
        s.options.discHidden = 32
        s.options.styleDim = 8
        s.evaluationBatch = 32
        s.standardizeSamples = 64
        return s
    }

    static func bytes(_ url: URL) throws -> Data { try Data(contentsOf: url) }

    @Test func lowersTheLossAndTheTestErrorDeterministically() throws {
        let root = TemporaryFolder()
        let model = try Self.tinyModel(root.url)
        func settings(_ name: String) -> FinetuneSettings {
            var s = Self.settings(root.url, name, model: model)
            s.dataset = "synthetic:?train=300&test=100&size=16"
            s.labels = 100
            s.epochs = 4
            s.options.unlabeledBatch = 50
            s.options.labeledBatch = 25
            s.options.hidden = 128
            return s
        }
        let first = try #require(try FinetuneTrainer(settings: settings("a"), logger: Self.logger).run())
        let second = try #require(try FinetuneTrainer(settings: settings("b"), logger: Self.logger).run())
        let (runA, runB) = (settings("a").runFolder, settings("b").runFolder)
        #expect(runA.lastPathComponent == runB.lastPathComponent && runA.lastPathComponent.hasPrefix("csd-n100-seed0-"))
        #expect(first.testErrors == second.testErrors)
        #expect(try Self.bytes(runA.appendingPathComponent("backbone/model.safetensors"))
                == Self.bytes(runB.appendingPathComponent("backbone/model.safetensors")))
        #expect(first.backbone == "finetune" && first.method == "csd" && first.labels == 100 && first.epochs == 4)
        #expect(first.testErrors.count == 4)
        // 10 classes, chance 0.9: the error falls clearly over four short epochs (0.89 -> 0.82 here).
        #expect(first.finalTestError <= first.testErrors[0] - 0.05 && first.finalTestError < 0.85, "errors \(first.testErrors)")
        let log = try String(contentsOf: runA.appendingPathComponent("train_log.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(log.count == 24)
        let losses = log.map { $0["loss"] as! Double }
        #expect(losses.suffix(3).reduce(0, +) < losses.prefix(3).reduce(0, +), "losses \(losses)")
        // The fine-tuned backbone moved and is a model folder the loaders accept.
        let tuned = try BackboneLoader.load(folder: runA.appendingPathComponent("backbone"))
        let initial = try BackboneLoader.load(folder: model)
        let moved = zip(tuned.stateDict(), initial.stateDict()).filter { a, b in (0..<a.tensor.count).contains { a.tensor[flat: $0] != b.tensor[flat: $0] } }
        #expect(moved.count > 10, "only \(moved.map(\.0.key)) changed")
        // Same table and plot as probe.
        let rows = try ResultsStore(directory: root.url.appendingPathComponent("a")).read().rows
        #expect(rows.map(\.runID) == [first.runID])
        #expect(FileManager.default.fileExists(atPath: root.url.appendingPathComponent("a/error_vs_labels.svg").path))
    }

    /// A run stopped after any step and restarted ends with the same weights, heads and errors as
    /// one that never stopped (the SIGKILL version of this is in .ci/run).
    @Test(arguments: [2, 4])
    func resumesToTheSameWeights(stopAfter: Int) throws {
        let root = TemporaryFolder()
        let model = try Self.tinyModel(root.url)
        var whole = Self.settings(root.url, "whole", model: model)
        whole.epochs = 2
        whole.checkpointEvery = 2
        let expected = try #require(try FinetuneTrainer(settings: whole, logger: Self.logger).run())
        var stopped = whole
        stopped.output = root.url.appendingPathComponent("stopped")
        stopped.stopAfterSteps = stopAfter
        #expect(try FinetuneTrainer(settings: stopped, logger: Self.logger).run() == nil)
        stopped.stopAfterSteps = nil
        let resumed = try #require(try FinetuneTrainer(settings: stopped, logger: Self.logger).run())
        #expect(resumed.testErrors == expected.testErrors)
        for file in ["backbone/model.safetensors", "heads.safetensors"] {
            #expect(try Self.bytes(whole.runFolder.appendingPathComponent(file)) == Self.bytes(stopped.runFolder.appendingPathComponent(file)),
                    "\(file) differs after resuming from step \(stopAfter)")
        }
        // A finished run is not trained again.
        #expect(try FinetuneTrainer(settings: stopped, logger: Self.logger).run() == nil)
    }

    /// disc_codes=step: the discriminators' step reuses the generator step's codes; with
    /// micro-batches too. A different run, and as deterministic.
    @Test func discriminatorsOnTheGeneratorStepsCodes() throws {
        let root = TemporaryFolder()
        let model = try Self.tinyModel(root.url)
        var s = Self.settings(root.url, "step-codes", model: model)
        s.epochs = 1
        s.accumulate = 2
        try s.set("disc_codes", "step")
        let a = try #require(try FinetuneTrainer(settings: s, logger: Self.logger).run())
        s.output = root.url.appendingPathComponent("step-codes-again")
        let b = try #require(try FinetuneTrainer(settings: s, logger: Self.logger).run())
        #expect(a.testErrors == b.testErrors && a.options["disc_codes"] == "step" && a.runID.contains("disc_codes=step"))
        let log = try String(contentsOf: s.runFolder.appendingPathComponent("train_log.jsonl"), encoding: .utf8)
        #expect(!log.isEmpty && !log.contains("\"discriminator\":0,"))
    }

    /// A damaged checkpoint is reported by file, not trained from.
    @Test func damagedCheckpointsAreReportedByFile() throws {
        let root = TemporaryFolder()
        let model = try Self.tinyModel(root.url)
        var s = Self.settings(root.url, "damaged", model: model)
        s.checkpointEvery = 1
        s.stopAfterSteps = 2
        _ = try FinetuneTrainer(settings: s, logger: Self.logger).run()
        s.stopAfterSteps = nil
        let latest = try #require(try TrainingCheckpoint.latest(root: s.runFolder.appendingPathComponent("checkpoints")))
        let state = latest.appendingPathComponent("state.json")
        let original = try Data(contentsOf: state)
        try Data("{\"step\": ".utf8).write(to: state)
        #expect { try FinetuneTrainer(settings: s, logger: Self.logger).run() } throws: { "\($0)".contains(state.path) }
        try original.write(to: state)
        let weights = latest.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: weights)
        try bytes.prefix(bytes.count / 2).write(to: weights)
        #expect { try FinetuneTrainer(settings: s, logger: Self.logger).run() } throws: { "\($0)".contains("model.safetensors") }
        try Data("step-99999999\n".utf8).write(to: s.runFolder.appendingPathComponent("checkpoints/latest"))
        #expect { try FinetuneTrainer(settings: s, logger: Self.logger).run() } throws: { "\($0)".contains("not a complete checkpoint") }
    }

    /// Micro-batches give the full batch's gradient.
    @Test(arguments: [TrainingMethod.csd, .supervised])
    func accumulationGivesTheFullBatchGradient(method: TrainingMethod) throws {
        let root = TemporaryFolder()
        let model = try Self.tinyModel(root.url)
        func gradients(_ parts: Int) throws -> [Tensor] {
            var s = Self.settings(root.url, "acc\(parts)", model: model, method: method)
            s.accumulate = parts
            let backbone = try BackboneLoader.load(folder: model)
            var rng = RandomStream(seed: 0, stream: 1)
            let heads = ContentStyleModel(dimension: 32, classes: 10, options: s.options, supervisedOnly: method == .supervised, rng: &rng)
            let dataset = try DatasetRegistry.open(Self.dataset)
            let bank = try ImageBank(split: try dataset.split("train"), preprocessing: backbone.preprocessing(imageSize: nil))
            let d = 32
            let step = TrainingStep(finetune: s, backbone: backbone, heads: heads, generator: Adam(groups: [heads.headsGroup(s.options)]),
                                    discriminator: nil,
                                    standardization: Standardization(mean: Tensor(repeating: 0.1, shape: [d]), std: Tensor(repeating: 2, shape: [d])),
                                    pixels: { try bank.pixels($0) })
            let labeled = Array(0..<7), unlabeled = Array(20..<45)
            _ = try step.gradients(labeled: labeled, labels: labeled.map { bank.labels[$0] }, unlabeled: method == .csd ? unlabeled : [])
            return (backbone.parameters + heads.encoderParameters).compactMap(\.grad)
        }
        let whole = try gradients(1), split = try gradients(3)
        #expect(whole.count == split.count && !whole.isEmpty)
        for (a, b) in zip(whole, split) {
            var diff: Float = 0, norm: Float = 0
            for i in 0..<a.count { diff += (a[flat: i] - b[flat: i]) * (a[flat: i] - b[flat: i]); norm += a[flat: i] * a[flat: i] }
            #expect(diff.squareRoot() <= 1e-4 * max(norm.squareRoot(), 1e-3), "relative gradient difference \(diff.squareRoot() / norm.squareRoot())")
        }
    }

    /// The `cached` reconstruction target reads an extract cache of the same images and weights;
    /// the fine-tuned tokens can be written to a new cache.
    @Test func cachedTargetAndWrittenCache() throws {
        let root = TemporaryFolder()
        let model = try Self.tinyModel(root.url)
        let cacheURL = root.url.appendingPathComponent("tokens.h5")
        _ = try Extractor(request: ExtractionRequest(model: model.path, dataset: Self.dataset, splits: ["train", "test"], output: cacheURL),
                          logger: Self.logger).run()
        var s = Self.settings(root.url, "cached", model: model)
        s.epochs = 1
        s.cache = cacheURL.path
        s.reconstructionTarget = .cached
        let trainer = FinetuneTrainer(settings: s, logger: Self.logger)
        trainer.exportTokens = Extractor.tokenExport(dataset: s.dataset, splits: ["train", "test"],
                                                     output: root.url.appendingPathComponent("tuned.h5"), imageSize: nil,
                                                     limit: nil, batchSize: s.evaluationBatch, logger: Self.logger)
        let row = try #require(try trainer.run())
        #expect(row.options["reconstruction_target"] == "cached" && row.options["standardize_source"] == "cache")
        let tuned = try FeatureCacheReader(url: root.url.appendingPathComponent("tuned.h5"))
        #expect(try tuned.rows("train") == 120 && tuned.rows("test") == 60)
        #expect(tuned.provenance.weightsSHA256 != (try FeatureCacheReader(url: cacheURL)).provenance.weightsSHA256)
        #expect(tuned.provenance.modelID == "finetune:tiny-dinov2:\(s.runFolder.lastPathComponent)")

        // --limit: the first rows of each split only, in training and in the written cache.
        var limited = Self.settings(root.url, "limited", model: model)
        limited.epochs = 1
        limited.labels = 20
        limited.limit = 50
        let limitedTrainer = FinetuneTrainer(settings: limited, logger: Self.logger)
        limitedTrainer.exportTokens = Extractor.tokenExport(dataset: limited.dataset, splits: ["train", "test"],
                                                            output: root.url.appendingPathComponent("limited.h5"), imageSize: nil,
                                                            limit: 50, batchSize: limited.evaluationBatch, logger: Self.logger)
        let limitedRow = try #require(try limitedTrainer.run())
        #expect(limitedRow.trainRows == 50 && limitedRow.testRows == 50 && limitedRow.options["limit"] == "50")
        #expect(try FeatureCacheReader(url: root.url.appendingPathComponent("limited.h5")).rows("train") == 50)

        // A cache of other images is refused before training.
        let other = root.url.appendingPathComponent("other.h5")
        _ = try Extractor(request: ExtractionRequest(model: model.path, dataset: "synthetic:?train=120&test=60&size=16&seed=5",
                                                     splits: ["train"], output: other), logger: Self.logger).run()
        s.cache = other.path
        s.output = root.url.appendingPathComponent("refused")
        #expect { try FinetuneTrainer(settings: s, logger: Self.logger).run() } throws: { "\($0)".contains("other data") }
    }

    @Test func badSettingsFailBeforeTraining() throws {
        let root = TemporaryFolder()
        let model = try Self.tinyModel(root.url)
        var s = Self.settings(root.url, "bad", model: model)
        s.labels = 1000
        #expect { try FinetuneTrainer(settings: s, logger: Self.logger).run() } throws: { "\($0)".contains("has 120 samples") }
        s = Self.settings(root.url, "bad", model: model)
        #expect(throws: OptionError.self) { try s.set("no_such_option", "1") }
        #expect(throws: OptionError.self) { try s.set("reconstruction_target", "frozen") }
        try s.set("reconstruction_target", "cached")
        #expect { try s.validate() } throws: { "\($0)".contains("needs --cache") }
        s = Self.settings(root.url, "bad", model: model)
        s.freezeBlocks = 3
        #expect { try FinetuneTrainer(settings: s, logger: Self.logger).run() } throws: { "\($0)".contains("has 2 blocks") }
        s.method = .knn
        #expect(throws: OptionError.self) { try s.validate() }

        // A diverging run stops with a clear error instead of training on NaN weights.
        var diverging = Self.settings(root.url, "diverging", model: model)
        diverging.backboneLR = 1e30
        diverging.options.lr = 1e30
        #expect(throws: TrainingDiverged.self) { try FinetuneTrainer(settings: diverging, logger: Self.logger).run() }

        // A checkpoint of other settings in the output folder is not continued.
        var first = Self.settings(root.url, "shared", model: model)
        first.stopAfterSteps = 3
        first.checkpointEvery = 1
        _ = try FinetuneTrainer(settings: first, logger: Self.logger).run()
        // A run's folder holding another run's checkpoint (a hash collision, or a moved
        // folder) is refused rather than continued.
        var other = first
        other.seed = 1
        try FileManager.default.createDirectory(at: other.runFolder.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: first.runFolder, to: other.runFolder)
        #expect { try FinetuneTrainer(settings: other, logger: Self.logger).run() } throws: { "\($0)".contains("another run") }
        // Runs of other settings share an output folder: each has its own run folder and row.
        var seed2 = first
        seed2.seed = 2
        seed2.stopAfterSteps = nil
        first.stopAfterSteps = nil
        _ = try #require(try FinetuneTrainer(settings: seed2, logger: Self.logger).run())
        _ = try #require(try FinetuneTrainer(settings: first, logger: Self.logger).run())
        let rows = try ResultsStore(directory: first.output).read().rows
        #expect(Set(rows.map(\.seed)) == [0, 2] && Set(rows.map(\.runID)).count == 2)
    }

    /// A split too large to hold decoded is read sample by sample, with the same pixels.
    @Test func imagesReadOnDemandMatchHeldImages() throws {
        let split = try DatasetRegistry.open(Self.dataset).split("train")
        let preprocessing = Preprocessing.dinov2.resizing(to: .shortestEdge(16)).cropping(to: .init(16))
        let held = try ImageBank(split: split, preprocessing: preprocessing)
        let streamed = try ImageBank(split: split, preprocessing: preprocessing, memoryBudget: 1000)
        #expect(held.holdsImages && !streamed.holdsImages)
        #expect(held.labels == streamed.labels && held.count == 120)
        let rows = [7, 0, 119, 7, 42]
        let (a, b) = (try held.pixels(rows), try streamed.pixels(rows))
        #expect(a.shape == [5, 3, 16, 16] && a.shape == b.shape)
        #expect((0..<a.count).allSatisfy { a[flat: $0] == b[flat: $0] })
    }

    @Test func freezingKeepsTheEmbeddingAndFirstBlocks() throws {
        let root = TemporaryFolder()
        let model = try BackboneLoader.load(folder: try Self.tinyModel(root.url))
        model.freezeEmbeddingAndBlocks(1)
        let trainable = Set(model.namedParameters().filter(\.variable.requiresGrad).map(\.key))
        #expect(trainable.allSatisfy { $0.hasPrefix("encoder.layer.1.") || $0.hasPrefix("layernorm.") })
        #expect(trainable.contains("encoder.layer.1.mlp.fc1.weight") && trainable.contains("layernorm.weight"))
        model.freezeEmbeddingAndBlocks(0)
        #expect(model.namedParameters().filter { !$0.variable.requiresGrad }.map(\.key) == ["embeddings.mask_token"])
    }
}

/// The memory plan changes how a step is computed, not what it computes.
struct PlanIndependenceTests {
    @Test func theSameCommandGivesTheSameWeightsWhateverThePlan() throws {
        let root = TemporaryFolder()
        let model = try FinetuneTests.tinyModel(root.url)
        func train(_ name: String, accumulate: Int?, recompute: Bool?, budget: Double?) throws -> (RunResult, URL) {
            var s = FinetuneTests.settings(root.url, name, model: model)
            s.epochs = 1
            s.accumulate = accumulate
            s.recompute = recompute
            s.memoryBudget = budget
            let row = try #require(try FinetuneTrainer(settings: s, logger: FinetuneTests.logger).run())
            return (row, s.runFolder.appendingPathComponent("backbone/model.safetensors"))
        }
        // A machine with plenty of memory (one micro-batch) and one that needs three and recomputation.
        let (roomy, a) = try train("roomy", accumulate: nil, recompute: nil, budget: 64 * 1_073_741_824)
        let (tight, b) = try train("tight", accumulate: 3, recompute: true, budget: nil)
        #expect(roomy.options["accumulate_used"] == "1" && tight.options["accumulate_used"] == "3")
        let x = try SafetensorsFile(url: a), y = try SafetensorsFile(url: b)
        var worst: Float = 0
        for name in x.names {
            let u = try x.tensor(name), v = try y.tensor(name)
            for i in 0..<u.count { worst = max(worst, abs(u[flat: i] - v[flat: i])) }
        }
        // Summation order alone: Adam's first steps move a weight by about lr whatever the
        // gradient's size, so where a gradient is rounding noise the runs may differ by a step.
        #expect(worst <= 1e-3, "weights differ by \(worst)")
        for (a, b) in zip(roomy.testErrors, tight.testErrors) { #expect(abs(a - b) <= 1.0 / 60) }
    }
}

/// The evaluation budget and the step budget.
struct EvaluationBudgetTests {
    @Test func evaluationsFollowTheScheduleAndTheLastUsesTheWholeTestSplit() throws {
        let root = TemporaryFolder()
        let model = try FinetuneTests.tinyModel(root.url)
        var s = FinetuneTests.settings(root.url, "budget", model: model)
        s.epochs = 2
        s.evaluationSchedule = try EvaluationSchedule("2steps")
        s.evaluationLimit = 20
        s.validationPerClass = 1
        let row = try #require(try FinetuneTrainer(settings: s, logger: FinetuneTests.logger).run())
        // 110 pool rows in batches of 40: 3 steps per epoch, 6 in all; evaluations after steps
        // 2 and 4 (20 test rows each) and at the end (all 60 rows).
        #expect(row.testErrors.count == 3)
        #expect(row.validationErrors?.count == 3)
        #expect(row.options["eval_every"] == "2steps" && row.options["eval_limit"] == "20")
        #expect(row.testErrors.dropLast().allSatisfy { ($0 * 20).rounded() == $0 * 20 }, "subset errors are multiples of 1/20")
        #expect(row.testRows == 60)
    }

    @Test func maxStepsEndsTrainingWithTheFinalEvaluation() throws {
        let root = TemporaryFolder()
        let model = try FinetuneTests.tinyModel(root.url)
        var s = FinetuneTests.settings(root.url, "steps", model: model)
        s.maxSteps = 4
        let row = try #require(try FinetuneTrainer(settings: s, logger: FinetuneTests.logger).run())
        let log = try String(contentsOf: s.runFolder.appendingPathComponent("train_log.jsonl"), encoding: .utf8)
        #expect(log.split(separator: "\n").count == 4)
        #expect(row.testErrors.count == 2, "after epoch 1 (3 steps) and at step 4")
        #expect(row.options["max_steps"] == "4")
    }
}
