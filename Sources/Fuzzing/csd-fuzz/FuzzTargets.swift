import CSDBackbones
import CSDData
import CSDFeatureStore
import CSDSafetensors
import Foundation

/// One parser of untrusted bytes, fed through the public entry point a user's file takes: the
/// bytes are written where that file would be, next to valid companions, and opened. Thrown
/// errors are the expected outcome of bad input; only a crash, a hang or a runaway allocation
/// is a finding.
struct FuzzTarget: Sendable {
    let name: String
    /// The file the fuzzed bytes become, relative to the target's scratch folder.
    let file: String
    /// Seeds: fixture files of this format, relative to the repository (tools/fuzz.sh copies them).
    let seeds: [String]
    /// Opens the scratch folder's data and reads it in full.
    let run: @Sendable (URL) throws -> Void

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "idx", file: "train-images-idx3-ubyte",
                   seeds: ["Tests/CSDDataTests/Fixtures/idx/train-images-idx3-ubyte"]) { folder in
            try copyCompanions("Tests/CSDDataTests/Fixtures/idx", except: "train-images-idx3-ubyte", to: folder)
            try readAll("mnist:" + folder.path)
        },
        FuzzTarget(name: "npy", file: "train_labels.npy",
                   seeds: ["Tests/CSDDataTests/Fixtures/npy/train_labels.npy", "Tests/CSDDataTests/Fixtures/npy/train_images.npy"]) { folder in
            try copyCompanions("Tests/CSDDataTests/Fixtures/npy", except: "train_labels.npy", to: folder)
            try readAll("npy:" + folder.path)
        },
        FuzzTarget(name: "mat", file: "test_32x32.mat", seeds: ["Tests/CSDDataTests/Fixtures/svhn/test_32x32.mat"]) { folder in
            try copyCompanions("Tests/CSDDataTests/Fixtures/svhn", except: "test_32x32.mat", to: folder)
            try readAll("svhn:" + folder.path)
        },
        FuzzTarget(name: "png", file: "a/image.png", seeds: ["Tests/CSDDataTests/Fixtures/folder/train/cat/b_rgb8.png",
                                                                  "Tests/CSDDataTests/Fixtures/folder/train/cat/d_interlaced.png"]) { folder in
            try readAll("folder:" + folder.path)
        },
        FuzzTarget(name: "jpeg", file: "a/image.jpg", seeds: ["Tests/CSDDataTests/Fixtures/folder/train/cat/e_photo.JPG",
                                                                   "Tests/CSDDataTests/Fixtures/folder/test/dog/progressive.jpg"]) { folder in
            try readAll("folder:" + folder.path)
        },
        FuzzTarget(name: "safetensors", file: "model.safetensors",
                   seeds: ["Tests/CSDSafetensorsTests/Fixtures/dtypes.safetensors",
                           "Tests/CSDSafetensorsTests/Fixtures/expected.safetensors"]) { folder in
            let checkpoint = try Safetensors.open(folder.appendingPathComponent("model.safetensors"))
            for name in checkpoint.names { _ = try? checkpoint.tensor(name) }
        },
        FuzzTarget(name: "config", file: "config.json",
                   seeds: ["Tests/CSDBackbonesTests/Fixtures/dinov2_tiny/config.json",
                           "Tests/CSDBackbonesTests/Fixtures/dinov2_reg_tiny/config.json",
                           "Tests/CSDBackbonesTests/Fixtures/radio_tiny_hub/config.json"]) { folder in
            let config = try ConfigObject(contentsOf: folder.appendingPathComponent("config.json"))
            _ = try BackboneLoader.architecture(config: config)
            // And the model folder it makes with fixed weights: every size the config may name is
            // built (or refused against the weights) before a weight is read.
            let weights = repository.appendingPathComponent("Tests/CSDBackbonesTests/Fixtures/dinov2_tiny/model.safetensors")
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("model.safetensors"),
                                                       withDestinationURL: weights)
            _ = try BackboneLoader.load(folder: folder)
        },
        FuzzTarget(name: "journal", file: JournalFuzzing.input, seeds: JournalFuzzing.seeds) { folder in
            try JournalFuzzing.run(folder)
        },
    ]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    /// The repository root: `CSD_REPOSITORY`, else the working directory.
    static var repository: URL {
        URL(fileURLWithPath: ProcessInfo.processInfo.environment["CSD_REPOSITORY"] ?? FileManager.default.currentDirectoryPath)
    }

    static func copyCompanions(_ fixture: String, except target: String, to folder: URL) throws {
        let source = repository.appendingPathComponent(fixture)
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name != target {
            let destination = folder.appendingPathComponent(name)
            if !FileManager.default.fileExists(atPath: destination.path) {
                try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: destination)
            }
        }
    }

    static func readAll(_ spec: String) throws {
        let dataset = try DatasetRegistry.open(spec)
        for name in dataset.splitNames {
            let split = try dataset.split(name)
            var reader = try split.reader(range: 0..<split.count)
            while try reader.next() != nil {}
        }
    }

    /// Runs one input: the bytes become `file` in a fresh scratch folder.
    func callAsFunction(_ bytes: UnsafeBufferPointer<UInt8>, verbose: Bool = false) -> Bool {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("csd-fuzz-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent(file)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(buffer: bytes).write(to: url)
            try run(folder)
            return true
        } catch {
            if verbose { FileHandle.standardError.write(Data("\(error)\n".utf8)) }
            return false
        }
    }
}
