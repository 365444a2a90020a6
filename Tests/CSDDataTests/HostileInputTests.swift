import CSDTestSupport
@testable import CSDData
import Foundation
import Testing

/// Every data-set reader against the damaged variants of its own fixtures: each variant either
/// reads in full or fails with a `DatasetError` naming the damaged file; truncations must fail.
/// Each case stays within `MemoryBound` of the fixture's size. A crash or a hang fails the whole
/// run, which is the point.
@Suite struct HostileInputTests {
    /// Copies `fixture` (a folder), replaces `target` in the copy by each variant of the
    /// original, and opens `spec(copy)`, reading every split in full.
    func check(fixture: String, target: String, header: Int, spec: (String) -> String,
               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(fixture + "/" + target))))
        // The control: the undamaged copy reads, so a failure below is the damage's doing.
        let variants = [HostileCorpus.Variant(name: "undamaged", bytes: original, mustFail: false)]
            + HostileCorpus.variants(of: original, header: header)
        let folderBytes = try FileManager.default.subpathsOfDirectory(atPath: Fixtures.path(fixture)).reduce(0) {
            $0 + ((try? FileManager.default.attributesOfItem(atPath: Fixtures.path(fixture + "/" + $1))[.size] as? Int) ?? 0)
        }
        let report = HostileCorpus.failures(variants, fileBytes: folderBytes) { variant in
            let folder = TemporaryFolder()
            let copy = folder.fileURL("data")
            do {
                try FileManager.default.copyItem(at: URL(fileURLWithPath: Fixtures.path(fixture)), to: copy)
                try Data(variant.bytes).write(to: copy.appendingPathComponent(target))
            } catch {
                return "\(variant.name): cannot prepare the copy: \(error)"
            }
            do {
                let dataset = try DatasetRegistry.open(spec(copy.path))
                for name in dataset.splitNames { _ = try readSamples(try dataset.split(name)) }
                return variant.mustFail ? "\(variant.name): read without an error" : nil
            } catch let error as DatasetError where variant.name == "undamaged" {
                return "the undamaged fixture fails: \(error)"
            } catch let error as DatasetError {
                let named = URL(fileURLWithPath: error.file).lastPathComponent
                if named != URL(fileURLWithPath: target).lastPathComponent && !error.message.contains(target) {
                    return "\(variant.name): the error names \(error.file), not \(target): \(error.message)"
                }
                return nil
            } catch {
                return "\(variant.name): not a DatasetError: \(error)"
            }
        }
        #expect(report == nil, "\(target): \(report ?? "")", sourceLocation: sourceLocation)
    }

    /// The bound is not vacuous: 256 MiB made and freed inside a case is seen.
    @Test func theMemoryBoundSeesAnAllocationFreedInsideTheCase() {
        guard MemoryBound.isPrecise else { return }
        let grown = MemoryBound.growth { _ = [UInt8](repeating: 1, count: 256 << 20).last }
        #expect(grown >= 250 << 20 && grown > MemoryBound.limit(fileBytes: 4 << 20), "\(grown >> 20) MiB")
    }

    @Test func idxImagesAndLabels() throws {
        try check(fixture: "idx", target: "train-images-idx3-ubyte", header: 16) { "mnist:" + $0 }
        try check(fixture: "idx", target: "train-labels-idx1-ubyte", header: 8) { "mnist:" + $0 }
    }

    @Test func npyImagesAndLabels() throws {
        try check(fixture: "npy", target: "train_images.npy", header: 128) { "npy:" + $0 }
        try check(fixture: "npy", target: "train_labels.npy", header: 128) { "npy:" + $0 }
    }

    @Test func cifarBatches() throws {
        try check(fixture: "cifar", target: "cifar-10-batches-bin/data_batch_2.bin", header: 16) { "cifar10:" + $0 }
    }

    @Test func svhnMatFiles() throws {
        try check(fixture: "svhn", target: "test_32x32.mat", header: 256) { "svhn:" + $0 }
    }

    @Test func galaxyHDF5() throws {
        try check(fixture: "galaxy", target: "train_dataset.hdf5", header: 512) { "galaxymnist:" + $0 }
    }

    @Test func pngAndJPEGInAFolder() throws {
        try check(fixture: "folder", target: "train/cat/b_rgb8.png", header: 64) { "folder:" + $0 }
        try check(fixture: "folder", target: "train/cat/e_photo.JPG", header: 64) { "folder:" + $0 }
    }
}
