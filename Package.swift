// swift-tools-version: 6.0
import PackageDescription

// Layers (dependencies point one way; README "Architecture" and docs/ARCHITECTURE.md draw them):
//   C system libraries, CSDSystem -> CSDTensor -> file formats, data sets, feature store
//   CSDTensor -> CSDAutograd -> CSDNN -> CSDBackbones, CSDMethod
//   -> CSDExtract, CSDProbe, CSDFinetune (phases; none imports another) -> CSDCLI -> executables
import Foundation

// Release builds of the numerical targets: no runtime checks in the kernels, whole-module
// optimisation, and on x86-64 the AVX2/FMA instruction set (every x86 server since 2013):
// the auto-vectorised element-wise kernels run 8 floats wide instead of 4. CSD_PORTABLE=1 builds
// for baseline x86-64 instead (older CPUs).
#if arch(x86_64)
let cpuFlags = ProcessInfo.processInfo.environment["CSD_PORTABLE"] == "1" ? [] : ["-target-cpu", "haswell"]
#else
let cpuFlags: [String] = []
#endif
let optimized: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"] + cpuFlags, .when(configuration: .release))]

let package = Package(
    name: "csd",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "extract", targets: ["extract"]),
        .executable(name: "probe", targets: ["probe"]),
        .executable(name: "finetune", targets: ["finetune"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // System libraries, found with pkg-config (tools/setup-system.sh installs them).
        .systemLibrary(name: "CCBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // oneDNN has no pkg-config file in Debian; the headers and library are on the default paths.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg-dev"])]),

        // Systems layer for files: atomic replacement, write-all, memory maps, half floats,
        // CRC-32 (zlib's), system-call errors, the tool version. Depends on nothing of ours.
        .target(name: "CSDSystem", dependencies: ["CZlib"], swiftSettings: optimized),
        // Tensor layer: storage, GEMM, element-wise kernels, random streams, threads.
        .target(name: "CSDTensor", dependencies: ["CCBLAS", "CDNNL", "CSDSystem"], swiftSettings: optimized),
        // File formats on top of the tensor layer.
        .target(name: "CSDSafetensors", dependencies: ["CSDTensor", "CSDSystem"], swiftSettings: optimized),
        .target(name: "CSDHDF5", dependencies: ["CHDF5", "CZlib", "CSDTensor"], swiftSettings: optimized),
        // The feature cache: crash-safe journalled writer, reader, shard merge (HDF5 on disk).
        .target(name: "CSDFeatureStore", dependencies: ["CSDHDF5", "CSDTensor", "CSDSystem"], swiftSettings: optimized),
        // Image preprocessing matching the reference processors (Pillow resize, crop, normalise).
        .target(name: "CSDImage", dependencies: ["CSDTensor"], swiftSettings: optimized),
        // Data-set readers (MNIST IDX, CIFAR-10, SVHN .mat, GalaxyMNIST, image folders, .npy,
        // generated stripes and a synthetic set): samples as CSDImage images with labels.
        .target(name: "CSDData", dependencies: ["CSDImage", "CSDTensor", "CSDHDF5", "CSDSystem", "CZlib", "CPNG", "CJPEG"],
                swiftSettings: optimized),
        // Reverse-mode autodiff and its differentiable ops.
        .target(name: "CSDAutograd", dependencies: ["CSDTensor"], swiftSettings: optimized),
        // Data-parallel training: the process group of mpirun or srun (Open MPI, loaded at run
        // time), its collectives, and gradient buckets reduced during the backward pass.
        .target(name: "CSDDistributed", dependencies: ["CSDAutograd", "CSDTensor"], swiftSettings: optimized),
        // Layers with named parameters, optimisers.
        .target(name: "CSDNN", dependencies: ["CSDAutograd", "CSDSafetensors"], swiftSettings: optimized),
        // Vision backbones (DINOv2, CLIP, RADIO) from Hugging Face checkpoints.
        // (and each family's reference preprocessing).
        .target(name: "CSDBackbones", dependencies: ["CSDNN", "CSDSafetensors", "CSDImage"], swiftSettings: optimized),
        // The paper's method and nothing else: content-style heads, objective, options, labeled
        // subsets, standardisation, random streams, error counts, and the one training step
        // that probe and finetune share.
        .target(name: "CSDMethod", dependencies: ["CSDNN", "CSDTensor", "CSDDistributed"], swiftSettings: optimized),
        // Results of probe and finetune runs: results.jsonl store, merge, summary, CSV, SVG plot.
        .target(name: "CSDResults", dependencies: ["CSDSystem"], swiftSettings: optimized),
        // Phase one: backbone forward over a data set into a feature cache.
        .target(name: "CSDExtract", dependencies: [
            "CSDBackbones", "CSDData", "CSDFeatureStore", "CSDImage", "CSDSystem", "CSDTensor",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: optimized),
        // Phase two, frozen backbone: the method and its baselines on cached tokens, sweeps.
        .target(name: "CSDProbe", dependencies: ["CSDMethod", "CSDResults", "CSDNN", "CSDFeatureStore", "CSDSystem"],
                swiftSettings: optimized),
        // Phase two, trainable backbone: the same heads and objective with gradients into the
        // backbone, checkpoints that resume exactly, results in probe's schema.
        .target(name: "CSDFinetune", dependencies: [
            "CSDMethod", "CSDResults", "CSDBackbones", "CSDData", "CSDFeatureStore", "CSDSafetensors", "CSDSystem",
            "CSDDistributed", .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: optimized),
        // Shared command-line layer: argument bundles, logging bootstrap, environment.
        .target(name: "CSDCLI", dependencies: [
            "CSDTensor", "CSDSystem", "CSDDistributed",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .executableTarget(name: "extract", dependencies: ["CSDCLI", "CSDExtract", "CSDDistributed"], swiftSettings: optimized),
        .executableTarget(name: "probe", dependencies: ["CSDCLI", "CSDProbe", "CSDMethod", "CSDResults", "CSDSystem", "CSDDistributed"], swiftSettings: optimized),
        // finetune's --write-cache runs extract's pipeline on the fine-tuned model: the
        // executable joins the two phases, the libraries stay apart.
        .executableTarget(name: "finetune", dependencies: ["CSDCLI", "CSDFinetune", "CSDMethod", "CSDExtract", "CSDSystem", "CSDDistributed"],
                          swiftSettings: optimized),
        .executableTarget(name: "backbone-bench", dependencies: ["CSDBackbones", "CSDCLI", "CSDSafetensors"],
                          path: "Sources/Benchmarks/backbone-bench", swiftSettings: optimized),
        .executableTarget(name: "block-profile", dependencies: ["CSDNN", "CSDBackbones"], path: "Sources/Benchmarks/block-profile",
                          swiftSettings: optimized),
        .executableTarget(name: "train-step-bench", dependencies: ["CSDFinetune", "CSDMethod", "CSDCLI"],
                          path: "Sources/Benchmarks/train-step-bench", swiftSettings: optimized),
        .executableTarget(name: "gemm-bench", dependencies: ["CSDTensor", "CSDCLI"],
                          path: "Sources/Benchmarks/gemm-bench", swiftSettings: optimized),
        // Fuzz targets of the parsers of untrusted bytes: a replayer in a normal build, libFuzzer's
        // driver when tools/fuzz.sh builds it with -sanitize=fuzzer.
        .executableTarget(name: "csd-fuzz", dependencies: ["CSDData", "CSDSafetensors", "CSDBackbones", "CSDFeatureStore"],
                          path: "Sources/Fuzzing/csd-fuzz"),

        // Helpers shared by the test targets (temporary folders).
        .target(name: "CSDTestSupport", path: "Tests/CSDTestSupport"),
        .testTarget(name: "CSDTensorTests", dependencies: ["CSDTensor", "CSDHDF5", "CSDSystem"]),
        .testTarget(name: "CSDDistributedTests", dependencies: ["CSDDistributed", "CSDAutograd", "CSDTensor"]),
        .testTarget(name: "CSDMethodTests", dependencies: ["CSDMethod", "CSDAutograd", "CSDNN", "CSDTensor", "CSDDistributed"]),
        .testTarget(name: "CSDResultsTests", dependencies: ["CSDResults", "CSDSystem", "CSDTestSupport"]),
        .testTarget(name: "CSDCLITests", dependencies: ["CSDCLI"]),
        .testTarget(name: "CSDAutogradTests", dependencies: ["CSDAutograd", "CSDNN", "CSDSafetensors"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CSDSystemTests", dependencies: ["CSDSystem", "CSDTestSupport"]),
        .testTarget(name: "CSDSafetensorsTests", dependencies: ["CSDSafetensors", "CSDSystem", "CSDTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CSDBackbonesTests", dependencies: ["CSDBackbones", "CSDSafetensors", "CSDTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CSDExtractTests", dependencies: [
            "CSDExtract", "CSDData", "CSDFeatureStore", "CSDImage", "CSDBackbones", "extract", "CSDTestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "CSDNNTests", dependencies: ["CSDNN", "CSDSafetensors"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CSDImageTests", dependencies: ["CSDImage"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CSDDataTests", dependencies: ["CSDData", "CSDImage", "CSDTensor", "CSDHDF5", "CSDSystem", "CSDTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CSDProbeTests", dependencies: ["CSDProbe", "CSDMethod", "CSDResults", "CSDSystem", "CSDSafetensors",
                                                         "CSDTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CSDFinetuneTests", dependencies: ["CSDFinetune", "CSDProbe", "CSDMethod", "CSDResults", "CSDBackbones", "CSDSafetensors", "CSDNN",
                                                           "CSDTestSupport", "finetune",
                                                           "CSDExtract", "CSDData", "CSDFeatureStore", "CSDImage",
                                                           .product(name: "Logging", package: "swift-log")],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CSDFeatureStoreTests", dependencies: ["CSDFeatureStore", "CSDHDF5", "CSDTensor", "CSDSystem", "CSDTestSupport"]),
        // Replays the fuzz targets' seeds and kept crashing inputs through the csd-fuzz binary.
        .testTarget(name: "CSDFuzzingTests", dependencies: ["csd-fuzz", "CSDTestSupport"]),
    ],
    // Numerical kernels share raw buffers across threads by design; Swift 5 mode keeps the
    // strict-concurrency checker from rejecting every parallel loop over them.
    swiftLanguageModes: [.v5]
)
