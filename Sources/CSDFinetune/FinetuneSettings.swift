import CSDMethod
import CSDTensor
import Foundation

/// Everything one `finetune` run is asked to do. The method's options (`MethodOptions`) are
/// probe's, so a probe and a finetune run of the same settings are comparable row by row.
public struct FinetuneSettings: Sendable {
    /// docs/METHOD.md's reconstruction target for a trainable backbone.
    public enum ReconstructionTarget: String, Sendable, CaseIterable {
        /// The live token, gradient stopped.
        case live
        /// The frozen pre-trained token read from an extract cache of the same images.
        case cached
    }

    public var model: String
    public var dataset: String
    public var method: TrainingMethod = .csd
    /// Labeled samples, nil for all of the train split.
    public var labels: Int?
    public var seed = 0
    /// Passes over the unlabeled pool (docs/METHOD.md: 3 for finetune).
    public var epochs = 3
    /// Stop after this many optimiser steps in all (a budget for machines where an epoch is too
    /// long), with the final evaluation; nil: the epochs decide.
    public var maxSteps: Int?
    public var backboneLR: Float = 1e-5
    /// Decoupled weight decay of the backbone's AdamW (0: plain Adam, as docs/METHOD.md).
    public var weightDecay: Float = 0
    /// The embedding and the first `freezeBlocks` blocks stay fixed.
    public var freezeBlocks = 0
    /// The backbone's matrix products, forward and backward (mixed precision with bf16: master
    /// weights, optimiser state, heads and losses stay fp32).
    public var precision = MatmulPrecision.fp32
    /// Micro-batches per optimiser step: memory follows the micro-batch, the gradient is the
    /// full batch's. nil (`auto`): the fewest that fit in memory (`MemoryPlan`).
    public var accumulate: Int?
    /// Activation recomputation per block. nil (`auto`): only when no micro-batch fits without.
    public var recompute: Bool?
    /// The memory the plan may use, in bytes (nil: what the machine or cgroup offers).
    public var memoryBudget: Double?
    /// When the test split (and the validation subset) is evaluated during training; the end of
    /// training is always evaluated.
    public var evaluationSchedule = EvaluationSchedule.epochs(1)
    /// The evaluations during training use a fixed class-balanced subset of this many test rows
    /// (nil: the whole split); the final evaluation always uses the whole split.
    public var evaluationLimit: Int?
    /// Checkpoint every this many optimiser steps (0: only at the end of each epoch).
    public var checkpointEvery = 0
    public var reconstructionTarget = ReconstructionTarget.live
    /// An extract cache of the same data set and model: standardisation statistics from its train
    /// split, and the `cached` reconstruction target.
    public var cache: String?
    /// Train images whose initial tokens give the standardisation statistics when no cache is given.
    public var standardizeSamples = 2048
    public var imageSize: Int?
    /// Only the first `limit` rows of the train and test splits (quick trials), as extract's.
    public var limit: Int?
    public var evaluationBatch = 64
    public var trainSplit = "train", testSplit = "test"
    /// Labeled train rows per class held out for validation (0: none), as probe's
    /// `--validation-per-class`, evaluated with the test split; nil (`auto`): probe's default
    /// for the train split's size (`LabelSubsets.defaultValidationPerClass`).
    public var validationPerClass: Int?
    /// Heads and discriminators (`lr`, `disc_lr`, sizes, weights, batch sizes): as probe.
    public var options = MethodOptions()
    public var output: URL
    /// Stop after this many optimiser steps in this process, as if killed (tests, smoke runs).
    public var stopAfterSteps: Int?
    /// Evaluation data sets (`--eval-dataset [NAME=]SPEC`): the test split of each is evaluated
    /// with the home test split, through the same backbone and preprocessing. Not part of the run
    /// ID; a checkpoint continues only with the same list.
    public var evaluationDatasets: [String] = []
    /// `--save-codes`: the final evaluation's class probabilities and style codes of every test
    /// split in `<out>/codes/<run>.h5` (probe's layout).
    public var saveCodes = false

    /// (`white`, `fashion-mnist-white-stripes:/d`) from `white=fashion-mnist-white-stripes:/d`;
    /// (nil, spec) when the text before the first `=` is not a plain name (a spec has a `:`).
    public static func namedDataset(_ text: String) -> (name: String?, spec: String) {
        if let eq = text.firstIndex(of: "="), !text[..<eq].contains(where: { ":/?&".contains($0) }) {
            return (String(text[..<eq]), String(text[text.index(after: eq)...]))
        }
        return (nil, text)
    }

    public init(model: String, dataset: String, output: URL) {
        self.model = model
        self.dataset = dataset
        self.output = output
    }

    /// Finetune-only option names accepted as `name=value` next to the method's.
    public static let optionNames = ["reconstruction_target", "weight_decay", "standardize_samples", "eval_batch"]

    /// Sets a method option or a finetune option from `name=value` text.
    public mutating func set(_ name: String, _ value: String) throws {
        switch name {
        case "reconstruction_target":
            guard let v = ReconstructionTarget(rawValue: value) else {
                throw OptionError("reconstruction_target must be live or cached, got '\(value)'")
            }
            reconstructionTarget = v
        case "weight_decay":
            guard let v = Float(value), v.isFinite, v >= 0 else { throw OptionError("weight_decay must be a non-negative number, got '\(value)'") }
            weightDecay = v
        case "standardize_samples", "eval_batch":
            guard let v = Int(value), v >= 1 else { throw OptionError("\(name) must be a positive integer, got '\(value)'") }
            if name == "eval_batch" { evaluationBatch = v } else { standardizeSamples = v }
        default:
            do { try options.set(name, value) } catch {
                throw OptionError("\(error); finetune also takes \(Self.optionNames.joined(separator: ", "))")
            }
        }
    }

    /// Checks what can be checked without opening files.
    public func validate() throws {
        guard method == .csd || method == .supervised else {
            throw OptionError("--method must be csd or supervised for finetune, got \(method.rawValue)")
        }
        if let labels, labels < 1 { throw OptionError("--labels must be positive or all") }
        guard epochs >= 1 else { throw OptionError("--epochs must be at least 1") }
        guard backboneLR >= 0, backboneLR.isFinite else { throw OptionError("--backbone-lr must be a non-negative number") }
        guard freezeBlocks >= 0 else { throw OptionError("--freeze-blocks must be >= 0") }
        if let accumulate {
            guard accumulate >= 1 else { throw OptionError("--accumulate must be at least 1") }
            guard accumulate <= options.unlabeledBatch else {
                throw OptionError("--accumulate \(accumulate) is larger than the batch (\(options.unlabeledBatch) unlabeled rows)")
            }
        }
        if let evaluationLimit, evaluationLimit < 1 { throw OptionError("--eval-limit must be at least 1") }
        if let maxSteps, maxSteps < 1 { throw OptionError("--max-steps must be at least 1") }
        guard checkpointEvery >= 0 else { throw OptionError("--checkpoint-every must be >= 0") }
        if let limit, limit < 1 { throw OptionError("--limit must be at least 1") }
        if let validationPerClass, validationPerClass < 0 { throw OptionError("--validation-per-class must be >= 0") }
        if reconstructionTarget == .cached && cache == nil {
            throw OptionError("reconstruction_target=cached needs --cache (an extract cache of the same data set and model)")
        }
    }

    /// Every setting that shapes the result, as strings (recorded in results.jsonl, and compared
    /// on resume: a checkpoint of other settings is refused).
    public var recordedOptions: [String: String] {
        var v = options.values
        v["knn_k"] = nil
        v["backbone_lr"] = "\(backboneLR)"
        v["weight_decay"] = "\(weightDecay)"
        v["freeze_blocks"] = "\(freezeBlocks)"
        v["precision"] = precision.rawValue
        v["eval_every"] = evaluationSchedule.description
        v["eval_limit"] = evaluationLimit.map(String.init) ?? "all"
        v["max_steps"] = maxSteps.map(String.init) ?? "none"
        v["reconstruction_target"] = reconstructionTarget.rawValue
        v["standardize_source"] = cache == nil ? "sample:\(standardizeSamples)" : "cache"
        v["image_size"] = imageSize.map(String.init) ?? "default"
        v["limit"] = limit.map(String.init) ?? "none"
        v["validation_per_class"] = validationPerClass.map(String.init) ?? "auto"
        v["model"] = model
        v["dataset"] = dataset
        return v
    }

    /// The run's key in results.jsonl (probe's form, plus the model, the data set and the
    /// finetune settings that differ from their defaults): runs of several models, seeds or
    /// settings can share one output folder.
    public var runID: String {
        let defaults = FinetuneSettings(model: model, dataset: dataset, output: output).recordedOptions
        let recorded = recordedOptions
        let changed = recorded.keys.sorted().filter { recorded[$0] != defaults[$0] }
        return ([method.rawValue, "n=\(labels.map(String.init) ?? "all")", "seed=\(seed)", "epochs=\(epochs)", "finetune",
                 "model=\(model)", "dataset=\(dataset)"]
                + changed.map { "\($0)=\(recorded[$0]!)" }).joined(separator: "|")
    }

    /// `<out>/runs/<method>-n<labels>-seed<s>-<hash of the run ID>`: the run's checkpoints,
    /// training log, fine-tuned backbone and heads.
    public var runFolder: URL {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 // FNV-1a: stable across processes and machines
        for byte in runID.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let name = "\(method.rawValue)-n\(labels.map(String.init) ?? "all")-seed\(seed)-\(String(hash, radix: 16).suffix(8))"
        return output.appendingPathComponent("runs").appendingPathComponent(name)
    }
}

/// When finetune evaluates during training: every n epochs, or every n optimiser steps.
public enum EvaluationSchedule: Sendable, Equatable, CustomStringConvertible {
    case epochs(Int), steps(Int)

    /// "2" (epochs), "2epochs", or "500steps".
    public init(_ text: String) throws {
        let digits = text.prefix { $0.isNumber }
        let unit = text.dropFirst(digits.count)
        guard let n = Int(digits), n >= 1, ["", "epoch", "epochs", "step", "steps"].contains(String(unit)) else {
            throw OptionError("--eval-every must be N (epochs), Nepochs or Nsteps with N >= 1, got '\(text)'")
        }
        self = unit.hasPrefix("step") ? .steps(n) : .epochs(n)
    }

    public var description: String {
        switch self {
        case .epochs(let n): return "\(n)epochs"
        case .steps(let n): return "\(n)steps"
        }
    }

    /// Whether the schedule evaluates after `step` (at the end of `epoch` when `epochEnd`).
    func due(step: Int, epoch: Int, epochEnd: Bool) -> Bool {
        switch self {
        case .epochs(let n): return epochEnd && epoch % n == 0
        case .steps(let n): return step % n == 0
        }
    }
}
