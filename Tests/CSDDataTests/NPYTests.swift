import CSDTestSupport
@testable import CSDData
import CSDImage
import Foundation
import Testing

@Suite struct NPYTests {
    @Test func readsAFolderOfSplits() throws {
        let dataset = try DatasetRegistry.open("npy:" + Fixtures.path("npy"))
        #expect(dataset.id == "npy:npy" && dataset.splitNames == ["train", "test"])
        for name in ["train", "test"] {
            let split = try dataset.split(name)
            let expected = Fixtures.split("npy", "folder", name)
            #expect(split.classNames == ["0", "1", "2", "3"])  // largest label over both splits is 3
            #expect(try split.labels() == expected.labels)
            #expect(try readSamples(split).map(\.image) == expected.images)
            try expectRangesMatch(split)
        }
    }

    @Test func readsAnImagesLabelsPairWithV2AndV3Headers() throws {
        let spec = "npy:\(Fixtures.path("npy-pair/images.npy")),\(Fixtures.path("npy-pair/labels.npy"))?classes=cat,dog"
        let split = try DatasetRegistry.open(spec).split("train")
        let expected = Fixtures.split("npy", "pair", "train")
        #expect(split.classNames == ["cat", "dog"])
        #expect(try readSamples(split).map(\.image) == expected.images)  // RGBA: alpha dropped
        #expect(try split.labels() == expected.labels)
        try expectRangesMatch(split)
        expectDatasetError(["label 1", "1 class names"]) { _ = try DatasetRegistry.open(spec.replacingOccurrences(of: "cat,dog", with: "cat")) }
    }

    @Test func parsesHeaderLiterals() throws {
        let value = try PythonLiteral.parse("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 4,), }")
        #expect(value == .dict([("descr", .string("<i8")), ("fortran_order", .bool(false)),
                                ("shape", .tuple([.int(3), .int(4)]))]))
        #expect(try PythonLiteral.parse("{\"shape\": (), 'x': [1, 2L]}") == .dict([("shape", .tuple([])), ("x", .tuple([.int(1), .int(2)]))]))
        #expect(throws: PythonLiteral.ParseError.self) { try PythonLiteral.parse("{'a': 1") }
        #expect(throws: PythonLiteral.ParseError.self) { try PythonLiteral.parse("{'a': foo}") }
    }

    /// Writes a .npy with `header` text (padded like numpy) and `data`.
    func npy(_ header: String, _ data: [UInt8]) -> [UInt8] {
        var text = Array(header.utf8)
        let total = (10 + text.count + 1 + 63) / 64 * 64
        text += [UInt8](repeating: 0x20, count: total - 10 - text.count - 1) + [0x0A]
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text + data
    }

    func openPair(images: [UInt8], labels: [UInt8]) throws {
        let folder = TemporaryFolder()
        try folder.write(images, to: "train_images.npy")
        try folder.write(labels, to: "train_labels.npy")
        let split = try NPYDataset(path: folder.path).split("train")
        _ = try readSamples(split)
    }

    @Test func rejectsBadArrays() throws {
        let goodImages = npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 2), }", [UInt8](repeating: 7, count: 8))
        let goodLabels = npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", [1, 0, 0, 0, 0, 0, 0, 0])
        try openPair(images: goodImages, labels: goodLabels)
        expectDatasetError(["size mismatch", "shape [2, 2, 2]"], file: "train_images.npy") {
            try openPair(images: Array(goodImages.dropLast()), labels: goodLabels)
        }
        expectDatasetError(["size mismatch", "shape [2000000000, 2, 2]"], file: "train_images.npy") {
            try openPair(images: npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2000000000, 2, 2), }", [0]), labels: goodLabels)
        }
        expectDatasetError(["wrong magic"], file: "train_images.npy") { try openPair(images: [0x93] + Array("NUMPX".utf8) + goodImages.dropFirst(6), labels: goodLabels) }
        expectDatasetError(["must be uint8", "<f4"], file: "train_images.npy") {
            try openPair(images: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", [UInt8](repeating: 0, count: 32)), labels: goodLabels)
        }
        expectDatasetError(["fortran_order"], file: "train_images.npy") {
            try openPair(images: npy("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2, 2), }", [UInt8](repeating: 0, count: 8)), labels: goodLabels)
        }
        expectDatasetError(["N x H x W"], file: "train_images.npy") {
            try openPair(images: npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 4), }", [UInt8](repeating: 0, count: 8)), labels: goodLabels)
        }
        expectDatasetError(["little-endian"], file: "train_labels.npy") {
            try openPair(images: goodImages, labels: npy("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", [UInt8](repeating: 0, count: 8)))
        }
        expectDatasetError(["integer dtype", "<f8"], file: "train_labels.npy") {
            try openPair(images: goodImages, labels: npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", [UInt8](repeating: 0, count: 16)))
        }
        expectDatasetError(["negative label -1"], file: "train_labels.npy") {
            try openPair(images: goodImages, labels: npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", [0, 0, 0xFF, 0xFF]))
        }
        // Without classes=, a gap below the largest label is refused before anything is sized by it.
        expectDatasetError(["largest label is 99", "class 1 has no sample", "classes="], file: "train_labels.npy") {
            try openPair(images: goodImages, labels: npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", [0, 0, 0, 0, 99, 0, 0, 0]))
        }
        expectDatasetError(["largest label is 4611686018427387904"], file: "train_labels.npy") {
            try openPair(images: goodImages, labels: npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                                                         [0, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0x40]))
        }
        expectDatasetError(["3 labels for 2 images"], file: "train_labels.npy") {
            try openPair(images: goodImages, labels: npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", [0, 1, 2]))
        }
        expectDatasetError(["not a Python dict literal"], file: "train_labels.npy") {
            try openPair(images: goodImages, labels: npy("{'descr': '|u1', 'shape': (2,", [0, 1]))
        }
        expectDatasetError(["lacks 'fortran_order'"], file: "train_labels.npy") {
            try openPair(images: goodImages, labels: npy("{'descr': '|u1', 'shape': (2,), }", [0, 1]))
        }
        expectDatasetError(["runs past the end"], file: "train_labels.npy") {
            try openPair(images: goodImages, labels: Array(goodLabels.prefix(40)))
        }
    }

    @Test func missingFiles() throws {
        let folder = TemporaryFolder()
        try folder.copy(fixture: "npy/train_images.npy")
        expectDatasetError(["missing"], file: "train_labels.npy") { _ = try NPYDataset(path: folder.path) }
        expectDatasetError(["cannot open"], file: "nope.npy") { _ = try NPYDataset(path: folder.file("train_images.npy") + "," + folder.file("nope.npy")) }
    }
}
