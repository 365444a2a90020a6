import CSDTestSupport
import CSDAutograd
import CSDBackbones
import CSDData
import CSDExtract
import CSDFeatureStore
import CSDImage
import CSDTensor
import Foundation
import Logging
import Testing

/// Extraction end to end on the generated `synthetic` data set with a small random-weight ViT.
struct ExtractTests {
    static let model = "random:vit-tiny"
    static let dataset = "synthetic:?train=48&test=20&size=32&seed=4"

    static func temporaryDirectory(_ name: String = #function) throws -> URL { try makeTempDirectory(name) }

    static func extract(_ out: URL, shard: (Int, Int)? = nil, batchSize: Int = 8, splits: [String] = ["train", "test"],
                        dtype: FeatureDType = .f32, precision: MatmulPrecision = .fp32) throws -> [SplitOutcome] {
        var request = ExtractionRequest(model: model, dataset: dataset, splits: splits, output: out)
        request.batchSize = batchSize
        request.precision = precision
        request.shard = shard.map { (index: $0.0, count: $0.1) }
        request.dtype = dtype
        return try Extractor(request: request, logger: Logger(label: "test")).run()
    }

    @Test func tokensEqualTheBackboneForwardOnTheSameImages() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("cache.h5")
        _ = try Self.extract(out)

        let reader = try FeatureCacheReader(url: out)
        let backbone = try ModelReference(Self.model).load()
        let split = try DatasetRegistry.open(Self.dataset).split("test")
        var samples = try split.reader(range: 0..<split.count)
        var images: [Image] = [], labels: [Int] = []
        while let s = try samples.next() { images.append(s.image); labels.append(s.label) }
        let pixels = try backbone.preprocessing(imageSize: nil)(images)
        let expected = GradMode.withoutGradients { backbone(Variable(pixels)).imageToken.value }
        let cached = try reader.features("test")
        #expect(cached.shape == expected.shape)
        var worst: Float = 0
        for i in 0..<cached.count { worst = max(worst, abs(cached[flat: i] - expected[flat: i])) }
        #expect(worst <= 1e-5, "cached tokens differ from the forward by \(worst)")
        #expect(try reader.labels("test") == labels)
        #expect(try reader.indices("test") == Array(0..<split.count))
        #expect(try reader.rows("train") == 48)
        #expect(reader.provenance.modelID == "random:vit-tiny:seed=0")
        #expect(!(try reader.attributes("train")).isEmpty)
    }

    @Test func rerunningACompleteRequestDoesNothing() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("cache.h5")
        _ = try Self.extract(out)
        let before = try Data(contentsOf: out)
        let outcomes = try Self.extract(out)
        #expect(outcomes.allSatisfy { $0.status == .alreadyComplete })
        #expect(try Data(contentsOf: out) == before)
    }

    /// The file at --out only appears once every requested split is complete: a failure in the
    /// test split leaves no train-only cache, and the train rows wait in their journal for a
    /// rerun (here of the train split alone, since repairing the image changes the data set's
    /// fingerprint; then --overwrite starts over, and the message says so).
    @Test func aFailureInALaterSplitLeavesNoHalfCacheAndTheRerunContinues() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = dir.appendingPathComponent("images")
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CSDDataTests/Fixtures/folder")
        try FileManager.default.copyItem(at: fixtures, to: images)
        let broken = images.appendingPathComponent("test/dog/z_gray1.png")
        let good = try Data(contentsOf: broken)
        try Data("not a png".utf8).write(to: broken)
        let out = dir.appendingPathComponent("cache.h5")
        let request = ExtractionRequest(model: Self.model, dataset: "folder:" + images.path, splits: ["train", "test"], output: out)
        let error = #expect(throws: PartialExtraction.self) { try Extractor(request: request, logger: Logger(label: "test")).run() }
        #expect(error?.description.contains("z_gray1.png") == true, "\(error.map { "\($0)" } ?? "")")
        #expect(error?.description.contains("\(out.path) is unchanged; the complete \"train\" split is kept") == true)
        #expect(!FileManager.default.fileExists(atPath: out.path), "a failed split left a cache at --out")
        #expect(FileManager.default.fileExists(atPath: out.path + ".train.journal/records.bin"))

        #expect(error?.description.contains("--overwrite") == true)

        // The journaled split is not extracted again.
        var trainOnly = request
        trainOnly.splits = ["train"]
        let outcomes = try Extractor(request: trainOnly, logger: Logger(label: "test")).run()
        #expect(outcomes.map(\.status) == [.resumed] && outcomes.map(\.newRows) == [0])
        let trainImages = try DatasetRegistry.open("folder:" + images.path).split("train").count
        #expect(try FeatureCacheReader(url: out).rows("train") == trainImages)
        #expect(!FileManager.default.fileExists(atPath: out.path + ".train.journal"))

        try good.write(to: broken)
        var repaired = request
        repaired.overwrite = true
        _ = try Extractor(request: repaired, logger: Logger(label: "test")).run()
        #expect(try FeatureCacheReader(url: out).splitNames == ["test", "train"])
        #expect(!FileManager.default.fileExists(atPath: out.path + ".test.journal"))
    }

    /// A write that fails while the final file is built (here a file-size limit: EFBIG, as ENOSPC
    /// on a full disk) is a clean error, not a crash in libhdf5's exit handler; the journal is
    /// kept, and the same command without the limit finishes to the bytes of an uninterrupted run.
    @Test func aFailedWriteOfTheFinalFileIsACleanErrorAndResumes() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("extract")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "extract binary not built at \(binary.path)")
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func run(_ out: URL, fileSizeLimitKB: Int?) throws -> (status: Int32, stderr: String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            let limit = fileSizeLimitKB.map { "trap '' XFSZ; ulimit -f \($0); " } ?? ""
            p.arguments = ["-c", limit + "exec \"$0\" \"$@\"", binary.path, "--model", Self.model, "--dataset", Self.dataset,
                           "--split", "train,test", "--out", out.path, "--threads", "1", "--quiet"]
            let errors = Pipe()
            p.standardOutput = FileHandle.nullDevice
            p.standardError = errors
            try p.run()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (p.terminationReason == .exit ? p.terminationStatus : -p.terminationStatus, text)
        }
        let reference = dir.appendingPathComponent("reference.h5")
        #expect(try run(reference, fileSizeLimitKB: nil).status == 0)
        let size = try FileManager.default.attributesOfItem(atPath: reference.path)[.size] as! Int

        // Room for each split's journal, not for the final file.
        let out = dir.appendingPathComponent("limited.h5")
        let failed = try run(out, fileSizeLimitKB: size * 3 / 4 / 1024)
        #expect(failed.status == 1, "exit \(failed.status): \(failed.stderr)")
        #expect(failed.stderr.contains("File too large")
                && failed.stderr.contains("the complete \"train\", \"test\" splits are kept in their journals"), "\(failed.stderr)")
        #expect(!failed.stderr.contains("crashed"))
        #expect(!FileManager.default.fileExists(atPath: out.path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        #expect(try run(out, fileSizeLimitKB: nil).status == 0)
        #expect(try Data(contentsOf: out) == Data(contentsOf: reference))
    }

    @Test func mismatchedRequestIsRefusedAndTheFileKept() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("cache.h5")
        _ = try Self.extract(out, splits: ["test"])
        let before = try Data(contentsOf: out)
        do {
            _ = try Self.extract(out, splits: ["test"], dtype: .f16)
            Issue.record("a request with another dtype was accepted")
        } catch {
            #expect("\(error)".contains("dtype"), "error does not say what differs: \(error)")
        }
        #expect(try Data(contentsOf: out) == before)
    }

    /// A bf16 cache of the same request is another request: refused on an fp32 file, and its
    /// tokens are the bf16 forward's, close to the fp32 ones.
    @Test func bf16IsAnotherRequestRecordedInTheProvenance() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fp32 = dir.appendingPathComponent("fp32.h5"), bf16 = dir.appendingPathComponent("bf16.h5")
        _ = try Self.extract(fp32, splits: ["test"])
        #expect(try FeatureCacheReader(url: fp32).provenance.matmulPrecision == .fp32)
        let before = try Data(contentsOf: fp32)
        let refused = #expect(throws: (any Error).self) { try Self.extract(fp32, splits: ["test"], precision: .bf16) }
        #expect("\(refused!)".contains("matmul_precision: \"bf16\" vs \"fp32\""), "\(refused!)")
        #expect(try Data(contentsOf: fp32) == before)

        _ = try Self.extract(bf16, splits: ["test"], precision: .bf16)
        let reader = try FeatureCacheReader(url: bf16)
        #expect(reader.provenance.matmulPrecision == .bf16)
        let (a, b) = (try reader.features("test"), try FeatureCacheReader(url: fp32).features("test"))
        #expect(a.scalars != b.scalars)
        var worst: Float = 0, scale: Float = 0
        for i in 0..<a.count { worst = max(worst, abs(a[flat: i] - b[flat: i])); scale = max(scale, abs(b[flat: i])) }
        #expect(worst <= 0.05 * scale, "bf16 tokens differ from fp32 by \(worst) (largest token value \(scale))")
    }

    @Test func shardedAndMergedEqualsUnshardedBitForBit() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let whole = dir.appendingPathComponent("whole.h5")
        _ = try Self.extract(whole)
        var shards: [URL] = []
        for k in 0..<3 {
            let url = dir.appendingPathComponent("cache.shard-\(k + 1)-of-3.h5")
            _ = try Self.extract(url, shard: (k, 3))
            shards.append(url)
        }
        let merged = dir.appendingPathComponent("merged.h5")
        try FeatureCacheMerge.merge(shards: shards, into: merged)
        let (a, b) = (try FeatureCacheReader(url: whole), try FeatureCacheReader(url: merged))
        #expect(a.provenance == b.provenance)
        for split in ["train", "test"] {
            #expect(try a.features(split).scalars.map(\.bitPattern) == b.features(split).scalars.map(\.bitPattern))
            #expect(try a.labels(split) == b.labels(split))
            #expect(try a.indices(split) == b.indices(split))
            #expect(try a.attributes(split) == b.attributes(split))
        }
    }

    /// A real SIGKILL of a child `extract` process mid-run, then the same command again: the
    /// result equals an uninterrupted run, with no row lost or duplicated.
    @Test func killedRunResumesToTheSameResult() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("extract")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "extract binary not built at \(binary.path)")
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = "synthetic:?train=200&test=8&size=32&seed=9"
        func command(_ out: URL) -> Process {
            let p = Process()
            p.executableURL = binary
            p.arguments = ["--model", Self.model, "--dataset", dataset, "--split", "train", "--out", out.path,
                           "--batch-size", "4", "--threads", "1", "--quiet"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            return p
        }
        let reference = dir.appendingPathComponent("reference.h5")
        let uninterrupted = command(reference)
        try uninterrupted.run()
        uninterrupted.waitUntilExit()
        #expect(uninterrupted.terminationStatus == 0)

        let out = dir.appendingPathComponent("killed.h5")
        let records = URL(fileURLWithPath: out.path + ".train.journal/records.bin")
        let victim = command(out)
        try victim.run()
        // Wait until some batches are durable, then kill without warning.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let size = (try? FileManager.default.attributesOfItem(atPath: records.path)[.size] as? Int) ?? 0
            if size > 0 && victim.isRunning { break }
            usleep(20_000)
        }
        usleep(150_000)
        #expect(victim.isRunning, "the run finished before it could be killed; make the data set larger")
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        #expect(victim.terminationReason == .uncaughtSignal)
        #expect(!FileManager.default.fileExists(atPath: out.path), "a killed run must not leave a final file")

        let resumed = command(out)
        try resumed.run()
        resumed.waitUntilExit()
        #expect(resumed.terminationStatus == 0)
        let (a, b) = (try FeatureCacheReader(url: reference), try FeatureCacheReader(url: out))
        #expect(try a.features("train").scalars.map(\.bitPattern) == b.features("train").scalars.map(\.bitPattern))
        #expect(try a.labels("train") == b.labels("train"))
        #expect(try b.indices("train") == Array(0..<200))
    }
}
