import CSDTestSupport
@testable import CSDData
import CSDHDF5
import CSDImage
import Foundation
import Testing

@Suite struct GalaxyMNISTTests {
    @Test func readsPlainAndGzippedFiles() throws {
        var dataset: (any Dataset)? = try DatasetRegistry.open("galaxymnist:" + Fixtures.path("galaxy"))
        #expect(dataset?.id == "galaxymnist" && dataset?.splitNames == ["train", "test"])
        for name in ["train", "test"] {
            let split = try #require(try dataset?.split(name))
            let expected = Fixtures.split("galaxymnist", name)
            #expect(split.classNames == ["smooth_round", "smooth_cigar", "edge_on_disk", "unbarred_spiral"])
            #expect(try split.labels() == expected.labels)
            #expect(try readSamples(split).map(\.image) == expected.images)
            try expectRangesMatch(split)
        }
        // The inflated copy of test_dataset.hdf5.gz lives in the temp folder while the data set does.
        let test = try #require(try dataset?.split("test") as? GalaxySplit)
        let copy = try #require(test.copy?.path)
        #expect(FileManager.default.fileExists(atPath: copy))
        #expect(copy.hasPrefix(FileManager.default.temporaryDirectory.path))
        dataset = nil
        _ = consume test
        #expect(!FileManager.default.fileExists(atPath: copy))
    }

    /// A few kilobytes that declare 2^31 rows or 30000 x 30000 images: refused from the stored
    /// size, before any allocation is sized by the declared shape.
    @Test func refusesShapesTheFileCannotHold() throws {
        for (rows, side) in [(1 << 31, 64), (2, 30_000)] {
            let folder = TemporaryFolder()
            let file = try HDF5File(creating: folder.file("train_dataset.hdf5"))
            let options = HDF5DatasetOptions(chunkRows: 1, extendible: false)
            _ = try file.createDataset("images", type: .uint8, shape: [rows, side, side, 3], options: options)
            _ = try file.createDataset("labels", type: .int64, shape: [rows], options: options)
            try file.close()
            expectDatasetError(["/images", "file stores 0", "truncated or hostile"], file: "train_dataset.hdf5") {
                _ = try GalaxyMNISTDataset(root: folder.path).split("train")
            }
        }
    }

    @Test func rejectsDamagedFiles() throws {
        let folder = TemporaryFolder()
        try folder.copy(fixture: "galaxy/train_dataset.hdf5")
        try modify(folder.file("train_dataset.hdf5")) { $0.removeLast(2000) }
        expectDatasetError(["HDF5"], file: "train_dataset.hdf5") {
            let split = try GalaxyMNISTDataset(root: folder.path).split("train")
            _ = try readSamples(split)
        }
        try modify(folder.file("train_dataset.hdf5")) { $0 = Array("not hdf5 at all".utf8) }
        expectDatasetError(["not an HDF5 file"], file: "train_dataset.hdf5") { _ = try GalaxyMNISTDataset(root: folder.path) }

        // A truncated .gz fails while inflating, names the .gz, and leaves no temporary file.
        let gz = TemporaryFolder(), scratch = TemporaryFolder()
        try gz.copy(fixture: "galaxy/test_dataset.hdf5.gz")
        try modify(gz.file("test_dataset.hdf5.gz")) { $0.removeLast(100) }
        expectDatasetError(["truncated gzip stream"], file: "test_dataset.hdf5.gz") {
            _ = try GalaxyMNISTDataset(root: gz.path, temporaryDirectory: scratch.path)
        }
        try modify(gz.file("test_dataset.hdf5.gz")) { bytes in for i in 20..<60 { bytes[i] = 0xEE } }
        expectDatasetError(["corrupt gzip stream"], file: "test_dataset.hdf5.gz") {
            _ = try GalaxyMNISTDataset(root: gz.path, temporaryDirectory: scratch.path)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)

        let empty = TemporaryFolder()
        expectDatasetError(["no GalaxyMNIST files"]) { _ = try GalaxyMNISTDataset(root: empty.path) }
    }
}
