import CSDTestSupport
@testable import CSDData
import CSDImage
import Foundation
import Testing

@Suite struct CIFARTests {
    @Test func readsBatchesInOrder() throws {
        for root in [Fixtures.path("cifar"), Fixtures.path("cifar/cifar-10-batches-bin")] {
            let dataset = try DatasetRegistry.open("cifar10:" + root)
            #expect(dataset.id == "cifar10" && dataset.splitNames == ["train", "test"])
            for name in ["train", "test"] {
                let split = try dataset.split(name)
                let expected = Fixtures.split("cifar10", name)
                #expect(split.classNames == CIFAR10Dataset.classes)
                #expect(try split.labels() == expected.labels)
                let samples = try readSamples(split)
                #expect(samples.map(\.image) == expected.images)
                #expect(samples.map(\.label) == expected.labels)
                // Train spans five files of 2, 1, 3, 2, 2 records: ranges cross file boundaries.
                try expectRangesMatch(split)
            }
        }
    }

    func damaged(_ file: String, _ change: (inout [UInt8]) -> Void) throws -> TemporaryFolder {
        let folder = TemporaryFolder()
        try folder.copy(fixture: "cifar/cifar-10-batches-bin", as: "cifar-10-batches-bin")
        try modify(folder.file("cifar-10-batches-bin/" + file), change)
        return folder
    }

    @Test func rejectsDamagedBatches() throws {
        var folder = try damaged("data_batch_3.bin") { $0.removeLast() }
        expectDatasetError(["not a whole number of 3073-byte records", "10000 x 3073"], file: "data_batch_3.bin") {
            _ = try CIFAR10Dataset(root: folder.path)
        }
        folder = try damaged("test_batch.bin") { $0 = [] }
        expectDatasetError(["size 0"], file: "test_batch.bin") { _ = try CIFAR10Dataset(root: folder.path) }
        // A label byte out of range: caught by labels() and by the reader, naming the record.
        folder = try damaged("data_batch_5.bin") { $0[3073] = 10 }
        let split = try CIFAR10Dataset(root: folder.path).split("train")
        expectDatasetError(["record 1", "label byte 10"], file: "data_batch_5.bin") { _ = try split.labels() }
        expectDatasetError(["record 1", "label byte 10"], file: "data_batch_5.bin") { _ = try readSamples(split) }
        folder = try damaged("batches.meta.txt") { $0 = Array("cat\ndog\n".utf8) }
        expectDatasetError(["2 class names, expected 10"], file: "batches.meta.txt") { _ = try CIFAR10Dataset(root: folder.path) }
    }

    @Test func rejectsMissingFiles() throws {
        let folder = TemporaryFolder()
        try folder.copy(fixture: "cifar/cifar-10-batches-bin", as: "cifar-10-batches-bin")
        try FileManager.default.removeItem(atPath: folder.file("cifar-10-batches-bin/data_batch_3.bin"))
        expectDatasetError(["train split incomplete", "data_batch_3.bin"]) { _ = try CIFAR10Dataset(root: folder.path) }
        let empty = TemporaryFolder()
        expectDatasetError(["no CIFAR-10 batches"]) { _ = try CIFAR10Dataset(root: empty.path) }
        // Without batches.meta.txt the canonical names are used; test-only folders are fine.
        try FileManager.default.removeItem(atPath: folder.file("cifar-10-batches-bin/batches.meta.txt"))
        for i in [1, 2, 4, 5] { try FileManager.default.removeItem(atPath: folder.file("cifar-10-batches-bin/data_batch_\(i).bin")) }
        let dataset = try CIFAR10Dataset(root: folder.path)
        #expect(dataset.splitNames == ["test"] && dataset.classNames[0] == "airplane")
    }
}
