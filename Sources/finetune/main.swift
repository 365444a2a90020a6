import CSDCLI
import CSDDistributed
import CSDExtract
import CSDFinetune
import CSDMethod
import CSDSystem
import CSDTensor
import Foundation

// Phase two, trainable backbone: the heads and objective of probe with gradients into the backbone.
struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune a backbone end to end with the content-style objective (or the supervised baseline).",
        discussion: """
        The labeled subset, the data sets and the method's options are those of extract and probe. \
        Method options as name=value (defaults in brackets): hidden [512], style_dim [32], \
        disc_hidden [256], reconstruction [cosine|mse], decoder_content [predicted|label_when_known], \
        class_prior [uniform|labeled], disc_codes [updated|step], disc_steps [1], w_ce [1], w_rec [1], w_c [0.1], w_s [0.1], \
        standardize [true], lr [0.001] (the heads), disc_lr [0.001], unlabeled_batch [256] (= --batch-size), \
        labeled_batch [64]; and finetune's own: reconstruction_target [live|cached] (cached reads the \
        pre-trained tokens from --cache), weight_decay [0] (decoupled, backbone), standardize_samples \
        [2048] (train images whose initial tokens give the standardisation statistics when there is \
        no --cache), eval_batch [64].

        Writes to --out: results.jsonl (probe's schema, backbone = finetune; one row per run, so \
        runs of several models, seeds or settings can share a folder), results.csv, summary.md, \
        error_vs_labels.svg, subsets/; and per run, in runs/<method>-n<labels>-seed<s>-<hash>/: \
        train_log.jsonl (losses, seconds and peak memory per step), checkpoints/ (every \
        --checkpoint-every steps and after every epoch; rerunning the same command continues \
        from the last one to the same weights), backbone/ (the fine-tuned backbone as a model \
        folder: --model for extract) and heads.safetensors.

        Data-parallel over processes and nodes: `mpirun -np R finetune ...` or `srun finetune ...` \
        (Open MPI; see tools/slurm/finetune-ddp.sbatch) runs one training in R processes, each \
        taking 1/R of every batch, with the same result as one process up to float summation \
        order; --threads is per process; rank 0 writes everything, and a run resumes with any R.
        """)

    @Option(help: "Preset, model folder, or random:<preset>[:seed].") var model: String
    @Option(help: "Data set as <kind>:<path>[?key=value&...] (see extract --help).") var dataset: String
    @Option(help: "csd or supervised. [csd]", transform: { try Choice.parse($0, as: TrainingMethod.self) })
    var method: TrainingMethod = .csd
    @Option(help: "Labeled samples (class-balanced, nested by seed), or all.", transform: LabelCount.parse) var labels: LabelCount
    @Option(help: "Seed of the labeled subset, the heads and the data order.") var seed: Int = 0
    @Option(help: "Passes over the unlabeled pool.") var epochs: Int = 3
    @Option(name: .customLong("max-steps"), help: "Stop after N optimiser steps in all (with the final evaluation), when the epochs would take longer.")
    var maxSteps: Int?
    @Option(name: .customLong("backbone-lr"), help: "Backbone learning rate.") var backboneLR: Float = 1e-5
    @Option(name: .customLong("head-lr"), help: "Heads' learning rate (the method option lr). [0.001]") var headLR: Float?
    @Option(name: .customLong("freeze-blocks"), help: "Keep the embedding and the first K blocks fixed.") var freezeBlocks: Int = 0
    @Option(name: .customLong("batch-size"), help: "Unlabeled rows per optimiser step (the method option unlabeled_batch). [256]") var batchSize: Int?
    @Option(help: "Micro-batches per optimiser step (memory follows batch/accumulate; the gradient is the whole batch's), or auto: the fewest that fit in the memory available. [auto]",
            transform: CountOrAuto.parse)
    var accumulate: CountOrAuto = .auto
    @Option(help: "Recompute each block's activations in the backward pass (less memory, one more forward): on, off, or auto (on only when nothing fits without). [auto]",
            transform: SwitchOrAuto.parse)
    var recompute: SwitchOrAuto = .auto
    @Option(name: .customLong("eval-every"), help: "Evaluate every N epochs (N or Nepochs) or every N optimiser steps (Nsteps); the end of training is always evaluated. [1]")
    var evalEvery: String = "1"
    @Option(name: .customLong("eval-limit"), help: "Evaluations during training use a fixed class-balanced subset of N test rows; the final one uses the whole split. [all]")
    var evalLimit: Int?
    @Option(name: .customLong("checkpoint-every"), help: "Checkpoint every N optimiser steps (0: after each epoch only).") var checkpointEvery: Int = 0
    @Option(help: "Extract cache of the same data and model: standardisation statistics, and the cached reconstruction target.") var cache: String?
    @Option(name: .customLong("image-size"), help: "Input size (default: as extract).") var imageSize: Int?
    @Option(help: "Only the first N rows of the train and test splits (quick trials).") var limit: Int?
    @Option(name: .customLong("write-cache"), help: "After training, write the fine-tuned backbone's train and test tokens to this extract-format cache.") var writeCache: String?
    @Option(name: .customLong("validation-per-class"), help: "Labeled train rows per class held out for validation, as probe's (0: none). [auto: 10, at most a tenth of the train split]",
            transform: CountOrAuto.parse)
    var validationPerClass: CountOrAuto = .auto
    @Option(name: .customLong("eval-dataset"),
            help: "Evaluate also on this data set's test split, through the same backbone and preprocessing: <kind>:<path>[?options] or NAME=<spec> (the domain's name; default: the data set's id). Repeatable; the class count must match.")
    var evalDatasets: [String] = []
    @Flag(name: .customLong("save-codes"), help: "Write the final evaluation's class probabilities and style codes of every test split to <out>/codes/<run>.h5.")
    var saveCodes = false
    @Option(name: .customLong("stop-after"), help: "Stop (as if killed) after N optimiser steps; rerun to continue.") var stopAfter: Int?
    @Option(help: "Output folder.") var out: String
    @Argument(help: "Method options as name=value.", transform: Setting.parse) var settings: [Setting] = []
    @OptionGroup var precision: PrecisionOptions
    @OptionGroup var threading: ThreadOptions
    @OptionGroup var logging: LoggingOptions

    /// The run asked for, checked as far as it can be without opening files; `auto` settings
    /// are resolved by `run`.
    func request() throws -> FinetuneSettings {
        var s = FinetuneSettings(model: model, dataset: dataset, output: URL(fileURLWithPath: out))
        s.method = method
        s.labels = labels.count
        s.seed = seed
        s.epochs = epochs
        s.backboneLR = backboneLR
        s.freezeBlocks = freezeBlocks
        if case .count(0) = accumulate { throw ValidationError("--accumulate must be at least 1 or auto") }
        s.accumulate = accumulate.value
        s.recompute = recompute.value
        do { s.evaluationSchedule = try EvaluationSchedule(evalEvery) } catch { throw ValidationError("\(error)") }
        s.evaluationLimit = evalLimit
        s.maxSteps = maxSteps
        s.checkpointEvery = checkpointEvery
        s.cache = cache
        s.imageSize = imageSize
        s.limit = limit
        s.stopAfterSteps = stopAfter
        s.precision = precision.precision
        s.evaluationDatasets = evalDatasets
        s.saveCodes = saveCodes
        // The flags that name a method option win over its name=value setting.
        try Setting.apply(settings + [headLR.map { Setting(name: "lr", value: "\($0)") },
                                      batchSize.map { Setting(name: "unlabeled_batch", value: "\($0)") }].compactMap { $0 }) {
            try s.set($0, $1)
        }
        if case .count(let n) = validationPerClass { s.validationPerClass = n }
        do { try s.validate() } catch { throw ValidationError("\(error)") }
        return s
    }

    func run() throws { try run(in: .single) }

    /// One process of the job `group` (a job of one without mpirun or srun).
    func run(in group: ProcessGroup) throws {
        let s = try request()
        threading.apply(processesOnThisMachine: group.localSize)
        let logger = logging.bootstrap(label: "finetune", rank: group.rank)
        logger.info("matrix products: \(precision.description), \(Threads.count) threads\(group.isDistributed ? " per process" : "")")
        // Rank 0 shows the progress of the job.
        let quiet = logging.quiet || !group.isMain
        let progress: ProgressFactory = { label, total, done in
            ProgressReporter(label: label, total: total, alreadyDone: done, unit: label == "train" ? "steps" : "images",
                             quiet: quiet, interval: 30)
        }
        let trainer = FinetuneTrainer(settings: s, group: group, logger: logger, progress: progress) { r in
            logger.debug("step \(r.step): loss \(r.loss) (ce \(r.ce), rec \(r.reconstruction), adv \(r.adversarialContent)/\(r.adversarialStyle), disc \(r.discriminator)), \(String(format: "%.2f", r.seconds)) s, peak \(Int(r.peakMemoryMiB)) MiB")
        }
        // extract's pipeline on the fine-tuned model, before the result row (a run killed while
        // writing resumes it).
        trainer.exportTokens = writeCache.map {
            Extractor.tokenExport(dataset: s.dataset, splits: [s.trainSplit, s.testSplit], output: URL(fileURLWithPath: $0),
                                  imageSize: s.imageSize, limit: s.limit, batchSize: s.evaluationBatch,
                                  precision: s.precision, logger: logger,
                                  progress: progress)
        }
        let row = try trainer.run()
        logger.info("peak memory \(Int(PeakMemory.residentMiB())) MiB")
        guard group.isMain else { return }
        guard let row else {
            if s.stopAfterSteps != nil { print("stopped after \(s.stopAfterSteps!) steps; rerun the same command to continue") }
            return
        }
        print(try String(contentsOf: s.output.appendingPathComponent("summary.md"), encoding: .utf8))
        print("test error after each epoch: \(row.testErrors.map { String(format: "%.4f", $0) }.joined(separator: ", "))")
        print("results: \(s.output.appendingPathComponent("results.jsonl").path); fine-tuned backbone: \(s.runFolder.appendingPathComponent("backbone").path)")
    }
}

// mpirun -np R finetune ... or srun finetune ...: one training over R processes (data parallel).
Finetune.main(asPartOf: LaunchEnvironment(ProcessInfo.processInfo.environment)) { command, group in
    try command.run(in: group)
}
