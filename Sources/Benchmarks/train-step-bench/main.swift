// One finetune training step (backbone forward + content-style heads, backward, AdamW, then the
// discriminators' step) on a model folder: the Swift side of tools/bench-finetune.sh, the same
// step as tools/bench_finetune_torch.py. Prints one JSON line: median step seconds, peak memory.
import CSDAutograd
import CSDBackbones
import CSDCLI
import CSDFinetune
import CSDMethod
import CSDNN

import CSDTensor
import Foundation

struct TrainStepBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train-step-bench",
                                                    abstract: "Times finetune's training step on random inputs.")
    @Option(help: "A model folder (config.json + safetensors).") var model: String
    @Option(help: "Rows per step (labeled rows included).") var batch = 16
    @Option(help: "Labeled rows among them.") var labeled = 4
    @Option(help: "Square input size in pixels.") var size = 224
    @Option(help: "Timed steps (after the warm-up ones).") var steps = 3
    @Option(help: "Untimed warm-up steps.") var warmup = 1
    @Flag(help: "Activation recomputation per block.") var recompute = false
    @OptionGroup var precisionOptions: PrecisionOptions
    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        threadOptions.apply()
        let backbone = try BackboneLoader.load(folder: URL(fileURLWithPath: model))
        backbone.recomputeActivations(recompute)
        backbone.matmulPrecision = precisionOptions.precision
        var settings = FinetuneSettings(model: model, dataset: "bench", output: URL(fileURLWithPath: "/dev/null"))
        settings.options.unlabeledBatch = batch - labeled
        var rng = RandomStream(seed: 0)
        let pixels = Tensor.randomNormal([batch, 3, size, size], using: &rng)
        let labels = (0..<labeled).map { _ in Int(rng.nextUInt32() % 10) }
        // Fixed standardisation statistics from the initial tokens, as finetune does.
        let tokens = GradMode.withoutGradients { backbone(Variable(pixels)).imageToken.value }
        let heads = ContentStyleModel(dimension: backbone.imageTokenDimension, classes: 10, options: settings.options, rng: &rng)
        let generator = Adam.adamW(groups: [
            ParameterGroup(name: "backbone", parameters: backbone.trainableParameters, learningRate: settings.backboneLR),
            heads.headsGroup(settings.options),
        ])
        let step = TrainingStep(finetune: settings, backbone: backbone, heads: heads, generator: generator,
                                discriminator: heads.discriminatorOptimizer(settings.options),
                                standardization: Standardization(fitting: tokens)) {
            Kernels.gatherRows(pixels, $0)
        }
        let prior = [Double](repeating: 0.1, count: 10)
        var times: [Double] = [], losses: [Float] = []
        for i in 0..<(warmup + steps) {
            let start = DispatchTime.now().uptimeNanoseconds
            let terms = try step.run(labeled: Array(0..<labeled), labels: labels, unlabeled: Array(labeled..<batch),
                                     prior: prior, priorRNG: &rng)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if i >= warmup { times.append(seconds) }
            losses.append(terms.loss)
        }
        let median = times.sorted()[times.count / 2]
        let name = URL(fileURLWithPath: model).lastPathComponent
        print("{\"framework\": \"swift\", \"model\": \"\(name)\", \"batch\": \(batch), \"size\": \(size), \"threads\": \(Threads.count), \"recompute\": \(recompute), \"precision\": \"\(precisionOptions.precision.rawValue)\", \"step_seconds_median\": \(median), \"step_seconds_all\": \(times), \"peak_rss_mib\": \(PeakMemory.residentMiB()), \"loss_first\": \(losses.first!), \"loss_last\": \(losses.last!)}")
    }
}

TrainStepBench.main()
