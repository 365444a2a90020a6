import CSDTestSupport
@testable import CSDData
import Foundation
import Testing

/// Every data-set reader against the damaged variants of its own fixtures: each variant either
/// reads in full or fails with a `DatasetError` naming the damaged file; truncations must fail.
/// A crash or a hang fails the whole run, which is the point.
@Suite struct HostileInputTests {
    /// Copies `fixture` (a folder), replaces `target` in the copy by each variant of the
    /// original, and opens `spec(copy)`, reading every split in full.
    func check(fixture: String, target: String, header: Int, spec: (String) -> String,
               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(fixture + "/" + target))))
        // The control: the undamaged copy reads, so a failure below is the damage's doing.
        let variants = [HostileCorpus.Variant(name: "undamaged", bytes: original, mustFail: false)]
            + HostileCorpus.variants(of: original, header: header)
        var failures: [String] = []
        for variant in variants {
            let folder = TemporaryFolder()
            let copy = folder.fileURL("data")
            try FileManager.default.copyItem(at: URL(fileURLWithPath: Fixtures.path(fixture)), to: copy)
            try Data(variant.bytes).write(to: copy.appendingPathComponent(target))
            do {
                let dataset = try DatasetRegistry.open(spec(copy.path))
                for name in dataset.splitNames { _ = try readSamples(try dataset.split(name)) }
                if variant.mustFail { failures.append("\(variant.name): read without an error") }
            } catch let error as DatasetError where variant.name == "undamaged" {
                failures.append("the undamaged fixture fails: \(error)")
            } catch let error as DatasetError {
                let named = URL(fileURLWithPath: error.file).lastPathComponent
                if named != URL(fileURLWithPath: target).lastPathComponent && !error.message.contains(target) {
                    failures.append("\(variant.name): the error names \(error.file), not \(target): \(error.message)")
                }
            } catch {
                failures.append("\(variant.name): not a DatasetError: \(error)")
            }
        }
        let report = "\(target): \(failures.count) of \(variants.count) variants:\n" + failures.prefix(8).joined(separator: "\n")
        #expect(failures.isEmpty, "\(report)", sourceLocation: sourceLocation)
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
