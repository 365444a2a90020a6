// Forward throughput of a random-weight backbone from a preset (the Swift side of
// tools/bench-backbone.sh): images/s per batch (median) and peak resident memory.
import CSDAutograd
import CSDBackbones
import CSDCLI
import CSDSafetensors
import CSDTensor
import Foundation

struct BackboneBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backbone-bench",
                                                    abstract: "Times a backbone forward on random weights and inputs.")
    @Option(help: "Preset name (e.g. dinov2-small, clip-vit-base-patch16), for random weights.") var preset = "dinov2-small"
    @Option(help: "A model folder (config.json + safetensors) to load instead of a preset.") var model: String?
    @Option(help: "Images per batch.") var batch = 32
    @Option(help: "Square input size in pixels.") var imageSize = 224
    @Option(help: "Timed batches (after one warm-up batch).") var batches = 3
    @Flag(help: "Print one JSON line instead of text.") var json = false
    @Option(help: "Write the input `pixels` and the first batch's image `tokens` to this .safetensors file (tools/bf16_fidelity.py reads it).")
    var saveTokens: String?
    @Option(help: "Read the input pixels (tensor `pixels`, [batch, 3, size, size]) from this .safetensors file instead of drawing them.")
    var pixels: String?
    @OptionGroup var precisionOptions: PrecisionOptions
    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        threadOptions.apply()
        let model: any Backbone
        if let folder = self.model {
            model = try BackboneLoader.load(folder: URL(fileURLWithPath: folder))
        } else {
            guard let p = BackbonePresets.named(preset) else { throw ValidationError("unknown preset \(preset)") }
            model = try BackboneLoader.randomlyInitialised(config: p.configObject)
        }
        let name = self.model.map { URL(fileURLWithPath: $0).lastPathComponent } ?? preset
        model.isTraining = false
        model.matmulPrecision = precisionOptions.precision
        var rng = RandomStream(seed: 1)
        let pixels = Variable(try self.pixels.map { try SafetensorsFile(url: URL(fileURLWithPath: $0)).tensor("pixels") }
                              ?? .randomNormal([batch, 3, imageSize, imageSize], using: &rng))
        let batch = pixels.shape[0], imageSize = pixels.shape[3]
        var times: [Double] = []
        var rssAfter: [Int] = []
        for i in 0...batches {
            let start = DispatchTime.now().uptimeNanoseconds
            let out = GradMode.withoutGradients { model(pixels) }
            _ = out.imageToken.value[flat: 0]
            if i == 0, let path = saveTokens {
                try SafetensorsWriter.write([("pixels", pixels.value), ("tokens", out.imageToken.value)],
                                            metadata: ["precision": precisionOptions.precision.rawValue],
                                            to: URL(fileURLWithPath: path))
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if i > 0 { times.append(seconds) }
            rssAfter.append(Int(PeakMemory.residentMiB() * 1_048_576))
        }
        let median = times.sorted()[times.count / 2]
        let ips = Double(batch) / median
        let peakMiB = Double(rssAfter.last!) / 1_048_576
        if json {
            print("{\"impl\": \"swift\", \"model\": \"\(name)\", \"batch\": \(batch), \"image_size\": \(imageSize), \"threads\": \(Threads.count), \"precision\": \"\(precisionOptions.precision.rawValue)\", \"images_per_second\": \(ips), \"peak_rss_mib\": \(peakMiB), \"peak_rss_mib_after_each_batch\": \(rssAfter.map { Double($0) / 1_048_576 })}")
        } else {
            print(String(format: "%@ %dpx batch %d, %d threads: %.2f images/s (median of %d), peak RSS %.0f MiB",
                         name, imageSize, batch, Threads.count, ips, times.count, peakMiB))
            print("peak RSS after each batch (MiB): \(rssAfter.map { Int(Double($0) / 1_048_576) })")
        }
    }
}

BackboneBench.main()
