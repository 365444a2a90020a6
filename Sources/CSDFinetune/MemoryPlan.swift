import CSDAutograd
import CSDBackbones
import CSDTensor
import Foundation

/// How a finetune step fits in memory, decided before any data is loaded: the micro-batch (and
/// so the number of accumulated micro-batches per optimiser step) and whether blocks recompute
/// their activations. Accumulation is exact (each micro-batch's loss is weighted by its share),
/// so the plan changes memory and time, never the result beyond float summation order.
///
/// The estimate: what the process holds now (code, libraries, the loaded weights) plus the
/// backbone's and heads' gradients and Adam moments, the decoded images, and the activations of
/// one micro-batch. Activations per image follow a model of what the backward pass keeps for
/// each block of a pre-norm ViT, fitted on measured peaks (ViT-tiny at 65 and 257 tokens, ViT-S/14
/// at 224 px: 4.7, 21.8 and 110.4 MiB per image):
///   blocks x tokens x (16.3 width + 1.46 heads x tokens) + 27 tokens x width   floats
/// (linear outputs, attention probabilities, and the backward's transient buffers); with
/// recomputation each block keeps its input (tokens x width), one block at a time holds its full
/// activations, and fewer transients stay alive (18.9 MiB per image measured for ViT-S/14, 19.0
/// estimated). Checked on real runs: ViT-S/14 2984 MiB measured for 24 rows (3123 planned),
/// 891 with recomputation (931); ViT-B/14 3170 and 6539 MiB for 8 and 24 rows (3179, 6709).
public struct MemoryPlan: Sendable, CustomStringConvertible {
    /// The model's shape as the plan sees it.
    public struct Shape: Sendable {
        public var blocks: Int, width: Int, heads: Int, tokens: Int
        public var parameters: Int, trainable: Int

        public init(blocks: Int, width: Int, heads: Int, tokens: Int, parameters: Int, trainable: Int) {
            self.blocks = blocks; self.width = width; self.heads = heads; self.tokens = tokens
            self.parameters = parameters; self.trainable = trainable
        }

        /// The backbone's shape at `imageSize` (tokens counted by a one-image forward).
        public init(_ backbone: any Backbone, imageSize: Int) {
            let pixels = Tensor(zeros: [1, 3, imageSize, imageSize])
            let tokens = GradMode.withoutGradients { backbone(Variable(pixels)).tokens.shape[1] }
            self.init(blocks: backbone.blocks.count, width: backbone.tokenDimension,
                      heads: backbone.blocks.first?.attention.heads ?? 1, tokens: tokens,
                      parameters: backbone.parameterCount,
                      trainable: backbone.trainableParameters.reduce(0) { $0 + $1.value.count })
        }

        /// Bytes of activations one image of a micro-batch keeps for the backward pass.
        public func activationBytes(recompute: Bool) -> Double {
            let (l, t, d, h) = (Double(blocks), Double(tokens), Double(width), Double(heads))
            let block = t * (16.3 * d + 1.46 * h * t)
            let transients = 27 * t * d
            let floats = recompute ? l * t * d + block + 0.6 * transients : l * block + transients
            return 4 * floats
        }
    }

    public let shape: Shape
    /// Rows (labeled and unlabeled) of one optimiser step, and of its largest micro-batch.
    public let stepRows: Int, microBatchRows: Int
    public let accumulate: Int
    public let recompute: Bool
    /// Bytes that do not depend on the micro-batch, and the activations of one image.
    public let fixedBytes: Double, perImageBytes: Double
    /// What the process may use (cgroup limit or available memory, plus what it already holds).
    public let budgetBytes: Double
    /// Share of the budget a plan may fill: the rest absorbs allocator slack and evaluation.
    public static let margin = 0.85

    public var peakBytes: Double { fixedBytes + Double(microBatchRows) * perImageBytes }
    public var fits: Bool { peakBytes <= Self.margin * budgetBytes }

    public var description: String {
        "memory plan: \(stepRows) rows per step in \(accumulate) micro-batch\(accumulate == 1 ? "" : "es") of at most "
            + "\(microBatchRows), recomputation \(recompute ? "on" : "off"); expected peak \(Self.mib(peakBytes)) "
            + "(\(Self.mib(fixedBytes)) fixed + \(Self.mib(perImageBytes)) per image) of \(Self.mib(budgetBytes)) available"
    }

    static func mib(_ bytes: Double) -> String { String(format: "%.0f MiB", bytes / 1_048_576) }

    /// Rows of the largest of `parts` micro-batches of a step with these labeled and unlabeled rows.
    static func microBatchRows(labeled: Int, unlabeled: Int, parts: Int) -> Int {
        (labeled + parts - 1) / parts + (unlabeled + parts - 1) / parts
    }

    /// The plan for `accumulate` (nil: the fewest micro-batches that fit) and `recompute` (nil:
    /// on only when nothing fits without it). Throws with the numbers when nothing fits, or
    /// when an explicit choice does not.
    public static func choose(shape: Shape, labeledRows: Int, unlabeledRows: Int, heads: Int, dataBytes: Double,
                              accumulate: Int?, recompute: Bool?, budgetBytes: Double = availableBytes(),
                              residentBytes: Double = PeakMemory.currentResidentBytes(),
                              dataParallel: Bool = false) throws -> MemoryPlan {
        let rows = labeledRows + unlabeledRows
        // Gradients and Adam's two moments of everything trained; the heads' weights too; and
        // data-parallel, a copy of the gradients in the reduction buckets.
        let buckets = dataParallel ? 4 * Double(shape.trainable + heads) : 0
        let fixed = residentBytes + 12 * Double(shape.trainable) + 16 * Double(heads) + dataBytes + buckets
        func plan(_ parts: Int, _ recompute: Bool) -> MemoryPlan {
            MemoryPlan(shape: shape, stepRows: rows,
                       microBatchRows: microBatchRows(labeled: labeledRows, unlabeled: unlabeledRows, parts: parts),
                       accumulate: parts, recompute: recompute, fixedBytes: fixed,
                       perImageBytes: shape.activationBytes(recompute: recompute), budgetBytes: budgetBytes)
        }
        let partsToTry = accumulate.map { [$0] } ?? Array(1...max(1, max(labeledRows, unlabeledRows)))
        for recompute in recompute.map({ [$0] }) ?? [false, true] {
            if let fitting = partsToTry.lazy.map({ plan($0, recompute) }).first(where: \.fits) { return fitting }
        }
        let smallest = plan(partsToTry.last!, recompute ?? true)
        throw MemoryPlanError(plan: smallest, explicit: accumulate != nil || recompute != nil)
    }

    /// The memory this process may use: the cgroup's limit less what the cgroup uses besides
    /// this process, or the machine's available memory, plus what this process holds.
    public static func availableBytes() -> Double {
        let resident = PeakMemory.currentResidentBytes()
        var available = Double(meminfo("MemAvailable") ?? 0) + resident
        if let limit = cgroupValue("memory.max"), let used = cgroupValue("memory.current") {
            available = min(available, Double(limit) - Double(used) + resident)
        }
        return available
    }

    static func meminfo(_ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
        }
        return nil
    }

    static func cgroupValue(_ file: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/sys/fs/cgroup/" + file, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) // "max" (no limit) is nil
    }
}

/// No plan fits the memory available.
public struct MemoryPlanError: Error, CustomStringConvertible {
    public let plan: MemoryPlan
    public let explicit: Bool

    public var description: String {
        let need = MemoryPlan.mib(plan.peakBytes), have = MemoryPlan.mib(MemoryPlan.margin * plan.budgetBytes)
        return explicit
            ? "\(plan) — does not fit (needs \(need), \(Int(MemoryPlan.margin * 100))% of the budget is \(have)): use --accumulate auto and --recompute auto, or a smaller --batch-size or --image-size"
            : "no plan fits: even one image per micro-batch with recomputation needs \(need) of \(have) usable (\(plan)); use a smaller --image-size or --freeze-blocks, or a machine with more memory"
    }
}
