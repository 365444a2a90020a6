@testable import CSDFinetune
import CSDTestSupport
import Foundation
import Testing

/// The memory plan: its choices, its refusals, its estimate against a measured peak, and that
/// the result does not depend on it.
struct MemoryPlanTests {
    /// ViT-S/14 at 224 px.
    static let vitS = MemoryPlan.Shape(blocks: 12, width: 384, heads: 6, tokens: 257, parameters: 22_056_576,
                                       trainable: 22_056_576)
    static let mib = 1_048_576.0

    static func plan(budgetMiB: Double, accumulate: Int? = nil, recompute: Bool? = nil) throws -> MemoryPlan {
        try MemoryPlan.choose(shape: vitS, labeledRows: 64, unlabeledRows: 256, heads: 1_000_000, dataBytes: 50 * mib,
                              accumulate: accumulate, recompute: recompute, budgetBytes: budgetMiB * mib,
                              residentBytes: 200 * mib)
    }

    @Test func theActivationModelReproducesTheMeasuredViTS() {
        // Measured on this project's finetune (train_log.jsonl): 110.4 MiB per image, 18.9 with recomputation.
        #expect(abs(Self.vitS.activationBytes(recompute: false) / Self.mib - 110.4) < 110.4 * 0.05)
        #expect(abs(Self.vitS.activationBytes(recompute: true) / Self.mib - 18.9) < 18.9 * 0.05)
    }

    @Test func lessMemoryMeansMoreMicroBatchesThenRecomputation() throws {
        let roomy = try Self.plan(budgetMiB: 64 * 1024)
        #expect(roomy.accumulate == 1 && !roomy.recompute && roomy.microBatchRows == 320)
        let tight = try Self.plan(budgetMiB: 24 * 1024)
        #expect(tight.accumulate > 1 && !tight.recompute && tight.fits)
        #expect(tight.microBatchRows == MemoryPlan.microBatchRows(labeled: 64, unlabeled: 256, parts: tight.accumulate))
        // Two images per micro-batch need 738 MiB without recomputation, 556 MiB with it.
        let small = try Self.plan(budgetMiB: 700)
        #expect(small.recompute && small.fits)
        #expect(throws: MemoryPlanError.self) { try Self.plan(budgetMiB: 500) }
        // An explicit choice that does not fit is refused with the numbers, not silently changed.
        #expect { try Self.plan(budgetMiB: 24 * 1024, accumulate: 1, recompute: false) } throws: { "\($0)".contains("does not fit") }
        #expect(try Self.plan(budgetMiB: 24 * 1024, accumulate: 8).accumulate == 8)
    }

    /// A real finetune process: the plan's expected peak against the peak it measured.
    @Test func theEstimateIsWithinFifteenPercentOfTheMeasuredPeak() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("finetune")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "finetune binary not built at \(binary.path)")
        let root = TemporaryFolder()
        let p = Process()
        p.executableURL = binary
        p.arguments = ["--model", "random:vit-tiny", "--dataset", "synthetic:?train=160&test=16&size=64", "--labels", "20",
                       "--batch-size", "96", "--stop-after", "2", "--epochs", "1", "--validation-per-class", "0",
                       "--accumulate", "1", "--recompute", "off", "--threads", "1", "--out", root.url.path, "--quiet",
                       "labeled_batch=8", "standardize_samples=16", "eval_batch=8"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let runs = try FileManager.default.contentsOfDirectory(atPath: root.url.appendingPathComponent("runs").path)
        let log = try String(contentsOf: root.url.appendingPathComponent("runs/\(try #require(runs.first))/train_log.jsonl"),
                             encoding: .utf8)
        let last = try #require(log.split(separator: "\n").last)
        let row = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let measured = try #require(row["peak_memory_mib"] as? Double), planned = try #require(row["planned_peak_mib"] as? Double)
        #expect(abs(planned - measured) <= 0.15 * measured, "planned \(planned) MiB, measured \(measured) MiB")
    }
}
