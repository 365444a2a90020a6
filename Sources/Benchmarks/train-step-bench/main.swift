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
    @Flag(help: "Instead of timing: the generator gradients of one step in bf16 against fp32 (relative errors, one JSON line).")
    var compareGradients = false
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
        if compareGradients {
            print(gradientErrors(step, backbone: backbone, heads: heads, labels: labels))
            return
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

extension TrainStepBench {
    /// ||g_bf16 - g_fp32|| / ||g_fp32|| of the generator gradients of one step on the same batch,
    /// over all backbone parameters together, per backbone tensor (median, worst), and the heads'.
    func gradientErrors(_ step: TrainingStep, backbone: any Backbone, heads: ContentStyleModel, labels: [Int]) -> String {
        func gradients(_ precision: MatmulPrecision) throws -> [String: Tensor] {
            backbone.matmulPrecision = precision
            backbone.zeroGrad()
            heads.zeroGrad()
            _ = try step.gradients(labeled: Array(0..<labeled), labels: labels, unlabeled: Array(labeled..<batch))
            var out: [String: Tensor] = [:]
            for (key, p) in backbone.namedParameters(prefix: "backbone.") + heads.namedParameters(prefix: "heads.") {
                if let g = p.grad { out[key] = g }
            }
            return out
        }
        let reference = try! gradients(.fp32), bf16 = try! gradients(.bf16)
        func squares(_ a: Tensor, _ b: Tensor) -> (diff: Double, norm: Double) {
            var diff = 0.0, norm = 0.0
            for i in 0..<a.count {
                let (x, y) = (Double(a[flat: i]), Double(b[flat: i]))
                diff += (x - y) * (x - y); norm += y * y
            }
            return (diff, norm)
        }
        var total = (diff: 0.0, norm: 0.0), headTotal = (diff: 0.0, norm: 0.0)
        var perTensor: [(String, Double)] = []
        for (key, g) in reference {
            let s = squares(bf16[key]!, g)
            if key.hasPrefix("heads.") {
                headTotal = (headTotal.diff + s.diff, headTotal.norm + s.norm)
                continue
            }
            total = (total.diff + s.diff, total.norm + s.norm)
            // Key biases have an exact gradient of zero (softmax ignores a shift of a row): noise.
            if !key.hasSuffix("key.bias") { perTensor.append((key, (s.diff / max(s.norm, 1e-30)).squareRoot())) }
        }
        perTensor.sort { $0.1 < $1.1 }
        let worst = perTensor.last!
        return "{\"backbone_relative_error\": \((total.diff / total.norm).squareRoot()), "
            + "\"tensor_relative_error_median\": \(perTensor[perTensor.count / 2].1), "
            + "\"tensor_relative_error_worst\": \(worst.1), \"worst_tensor\": \"\(worst.0)\", "
            + "\"heads_relative_error\": \((headTotal.diff / headTotal.norm).squareRoot()), \"tensors\": \(perTensor.count)}"
    }
}

TrainStepBench.main()
