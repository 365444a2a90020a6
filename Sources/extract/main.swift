import CSDCLI
import CSDDistributed
import CSDExtract
import CSDFeatureStore
import CSDHDF5
import Foundation

// The executable only parses, configures and reports; the work is in CSDExtract.


struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Run a vision backbone over a data set and cache its image tokens in HDF5.",
        subcommands: [Run.self, Merge.self, Inspect.self, Verify.self],
        defaultSubcommand: Run.self)
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Extract tokens (the default subcommand).",
        discussion: """
        A killed run restarted with the same command continues from its last committed batch. \
        A file whose provenance (model, weights, preprocessing, data set, token) differs from the \
        request is refused with the differences listed, unless --overwrite is given.
        """)

    @Option(help: "Model folder, preset name (files in $CSD_MODELS/<preset> or the Hugging Face cache), or random:<preset>.")
    var model: String
    @Option(help: "Data set: <kind>:<path>[?options], e.g. mnist:/data/mnist, synthetic:?classes=10.")
    var dataset: String
    @Option(help: "Comma-separated splits.")
    var split = "train,test"
    @Option(help: "Output cache file (default: cache/<model>_<data set>.h5, or its .shard-k-of-n.h5 with --shard).")
    var out: String?
    @Option(help: "Input size in pixels (crop size; RADIO: resize size). Default: the model's processor.")
    var imageSize: Int?
    @Option(help: "Images per forward batch.")
    var batchSize = 32
    @Option(help: "Storage type of the features: f32 or f16.")
    var dtype = "f32"
    @Option(help: "Process shard k of n (1-based, e.g. 2/8) into its own file; join them with `extract merge`.",
            transform: Shard.parse)
    var shard: Shard?
    @Option(help: "Only the first N rows of each split.")
    var limit: Int?
    @Option(help: "Token to cache: image (DINOv2 [CLS], CLIP pooler, RADIO summary), image-embeds (CLIP), patch-mean.")
    var token = "image"
    @Option(help: "HDF5 compression: none or gzip:<level>.")
    var compression = "none"
    @Flag(help: "Replace an existing cache or journal whose provenance differs.")
    var overwrite = false
    @OptionGroup var precision: PrecisionOptions
    @OptionGroup var threading: ThreadOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard FeatureDType(rawValue: dtype) != nil else { throw ValidationError("--dtype must be f32 or f16, got \(dtype)") }
        guard ExtractionRequest.Token(rawValue: token) != nil else {
            throw ValidationError("--token must be one of \(ExtractionRequest.Token.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let imageSize, imageSize < 1 { throw ValidationError("--image-size must be positive") }
        _ = try parsedCompression()
    }

    func parsedCompression() throws -> HDF5Compression {
        if compression == "none" { return .none }
        if compression.hasPrefix("gzip:"), let level = Int(compression.dropFirst(5)), (1...9).contains(level) {
            return .gzip(level: level, shuffle: true)
        }
        throw ValidationError("--compression must be none or gzip:<1-9>, got \(compression)")
    }

    func run() throws {
        threading.apply()
        let logger = logging.bootstrap(label: "extract")
        let output: URL
        if let out {
            output = URL(fileURLWithPath: out)
        } else {
            let modelName = model.replacingOccurrences(of: "random:", with: "random-")
                .split(separator: "/").last.map(String.init) ?? model
            let dataName = dataset.split(separator: ":").first.map(String.init) ?? dataset
            // A bf16 cache is another request than the fp32 one: it gets its own default name.
            let suffix = precision.precision == .fp32 ? "" : "_\(precision.precision.rawValue)"
            var name = "\(modelName)_\(dataName)\(suffix).h5"
            if let shard { name = ShardPlan.shardFileName(for: name, shard: shard.index, of: shard.count) }
            output = URL(fileURLWithPath: "cache").appendingPathComponent(name)
        }
        var request = ExtractionRequest(model: model, dataset: dataset,
                                        splits: split.split(separator: ",").map(String.init), output: output)
        request.imageSize = imageSize
        request.batchSize = batchSize
        request.dtype = FeatureDType(rawValue: dtype)!
        request.shard = shard?.pair
        request.limit = limit
        request.token = ExtractionRequest.Token(rawValue: token)!
        request.overwrite = overwrite
        request.compression = try parsedCompression()
        request.precision = precision.precision
        logger.info("matrix products: \(precision.description)")
        let quiet = logging.quiet
        let extractor = Extractor(request: request, logger: logger) { label, total, done in
            ProgressReporter(label: label, total: total, alreadyDone: done, quiet: quiet)
        }
        let outcomes = try extractor.run()
        for o in outcomes {
            logger.info("\(o.split): \(o.status.rawValue), \(o.rows) rows (\(o.newRows) new, \(String(format: "%.1f", o.imagesPerSecond)) images/s)")
        }
        logger.info("cache: \(output.path)")
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join shard files (from --shard k/n runs) into one cache identical to an unsharded run.")
    @Option(help: "The merged cache file.") var out: String
    @Argument(help: "The shard files.") var shards: [String]
    @Flag(help: "Replace an existing output file.") var overwrite = false

    func run() throws {
        try FeatureCacheMerge.merge(shards: shards.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: out),
                                    overwrite: overwrite)
        print("merged \(shards.count) shards into \(out)")
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the splits, rows, dimension, provenance and feature ranges of a cache (reading every feature, so a damaged chunk is an error).")
    @Argument(help: "A cache file.") var file: String

    func run() throws {
        print(try CacheInspector.describe(URL(fileURLWithPath: file)))
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read a whole cache, checking every chunk's checksum, finite features and labels in range.")
    @Argument(help: "A cache file.") var file: String

    func run() throws {
        print(try CacheVerifier.verify(URL(fileURLWithPath: file)))
    }
}

LaunchEnvironment(ProcessInfo.processInfo.environment)
    .refuseSeveralProcesses(tool: "extract", instead: "split the work with --shard i/n, one process per shard (tools/slurm/extract-array.sbatch), then extract merge")
Extract.main()
