import CSDTestSupport
@testable import CSDData
import CSDImage
import CSDSystem
import Foundation
import Testing

@Suite struct IDXTests {
    @Test func readsPlainAndGzippedFiles() throws {
        let dataset = try DatasetRegistry.open("mnist:" + Fixtures.path("idx"))
        #expect(dataset.id == "mnist")
        #expect(dataset.splitNames == ["train", "test"])
        for split in ["train", "test"] {
            let expected = Fixtures.split("idx", split)
            let samples = try readSamples(dataset.split(split))
            #expect(samples.map(\.label) == expected.labels)
            #expect(samples.map(\.image) == expected.images)
            #expect(try dataset.split(split).classNames == (0..<10).map(String.init))
            try expectRangesMatch(dataset.split(split))
        }
    }

    @Test func dotSpellingMultiMemberGzipAndFashionNames() throws {
        let expected = Fixtures.split("idx", "train")
        for folder in ["idx-dot", "idx-multi"] {
            let dataset = try DatasetRegistry.open("fashion-mnist:" + Fixtures.path(folder))
            #expect(dataset.splitNames == ["train"])
            let split = try dataset.split("train")
            #expect(split.classNames[0] == "T-shirt/top" && split.classNames[9] == "Ankle boot")
            #expect(try readSamples(split).map(\.image) == expected.images)
            try expectRangesMatch(split)
        }
    }

    @Test func missingFilesAndSplits() throws {
        let folder = TemporaryFolder()
        expectDatasetError(["no IDX files"]) { _ = try IDXDataset(root: folder.path) }
        try folder.copy(fixture: "idx/train-images-idx3-ubyte")
        expectDatasetError(["no train-labels"]) { _ = try IDXDataset(root: folder.path) }
        try folder.copy(fixture: "idx/train-labels-idx1-ubyte")
        let dataset = try IDXDataset(root: folder.path)
        expectDatasetError(["no split 'test'", "available: train"]) { _ = try dataset.split("test") }
        expectDatasetError(["not a folder"]) { _ = try IDXDataset(root: folder.file("nowhere")) }
    }

    /// Copies the tiny train pair, lets `damage` change one file, and opens and reads it all.
    func openDamaged(_ file: String, gzip: Bool = false, _ damage: (inout [UInt8]) -> Void) throws {
        let folder = TemporaryFolder()
        let source = gzip ? "idx-dot/train-\(file == "images" ? "images.idx3" : "labels.idx1")-ubyte.gz"
                          : "idx/train-\(file == "images" ? "images-idx3" : "labels-idx1")-ubyte"
        let other = file == "images" ? (gzip ? "idx-dot/train-labels.idx1-ubyte.gz" : "idx/train-labels-idx1-ubyte")
                                     : (gzip ? "idx-dot/train-images.idx3-ubyte.gz" : "idx/train-images-idx3-ubyte")
        let copy = try folder.copy(fixture: source)
        try folder.copy(fixture: other)
        try modify(copy, damage)
        let dataset = try IDXDataset(root: folder.path)
        _ = try readSamples(try dataset.split("train"))
    }

    @Test func rejectsCorruptPlainFiles() throws {
        let images = "train-images-idx3-ubyte"
        expectDatasetError(["wrong magic"], file: images) { try openDamaged("images") { $0[0] = 7 } }
        expectDatasetError(["element type 0x9"], file: images) { try openDamaged("images") { $0[2] = 9 } }
        expectDatasetError(["2 dimensions, expected 3"], file: images) { try openDamaged("images") { $0[3] = 2 } }
        expectDatasetError(["size mismatch", "6 x 5 x 4", "has 135 bytes"], file: images) {
            try openDamaged("images") { $0.removeLast() }
        }
        expectDatasetError(["size mismatch"], file: images) { try openDamaged("images") { $0.append(0) } }
        // A lying header: a billion images in a 136-byte file, refused before any allocation.
        expectDatasetError(["size mismatch", "1000000000"], file: images) {
            try openDamaged("images") { $0[4..<8] = [0x3B, 0x9A, 0xCA, 0x00] }
        }
        expectDatasetError(["too short"], file: images) { try openDamaged("images") { $0 = [0, 0, 8] } }
        expectDatasetError(["labels", "6 images"]) { try openDamaged("labels") { $0[7] = 5; $0.removeLast() } }
        expectDatasetError(["label 10", "index 5"], file: "train-labels-idx1-ubyte") {
            try openDamaged("labels") { $0[$0.count - 1] = 10 }
        }
    }

    @Test func rejectsCorruptGzipFiles() throws {
        let images = "train-images.idx3-ubyte.gz"
        // Truncated: the trailer's size no longer matches, and inflating runs out of data.
        expectDatasetError(["truncated gzip stream"], file: images) { try openDamaged("images", gzip: true) { $0.removeLast(20) } }
        expectDatasetError(["truncated gzip stream"], file: images) { try openDamaged("images", gzip: true) { $0.removeLast(1) } }
        // A flipped bit in the CRC: caught when the last image is read.
        expectDatasetError(["corrupt gzip stream", "incorrect data check"], file: images) {
            try openDamaged("images", gzip: true) { $0[$0.count - 6] ^= 0x01 }
        }
        // Garbage in the deflate data.
        expectDatasetError(["corrupt gzip stream"], file: images) {
            try openDamaged("images", gzip: true) { bytes in for i in 12..<40 { bytes[i] = 0xFF } }
        }
        expectDatasetError(["trailing bytes"], file: images) { try openDamaged("images", gzip: true) { $0 += [1, 2, 3] } }
        // Header inside the stream lies: the stream holds fewer bytes than it claims.
        expectDatasetError(["wrong magic"], file: images) {
            try openDamaged("images", gzip: true) { $0 = Array(gzipStoredIDX(header: [1, 0, 8, 3]).prefix(40)) }
        }
    }

    @Test func gzipWithLyingHeaderIsRejectedAtOpen() throws {
        let folder = TemporaryFolder()
        try folder.copy(fixture: "idx/train-labels-idx1-ubyte")
        // 7 images claimed, 6 present (a valid gzip stream whose content disagrees with its header).
        var content = try readBytes(Fixtures.path("idx/train-images-idx3-ubyte"))
        content[7] = 7
        try folder.write(gzipStoredIDX(content: content), to: "train-images-idx3-ubyte.gz")
        expectDatasetError(["size mismatch", "7 x 5 x 4", "holds 136 bytes"], file: "train-images-idx3-ubyte.gz") {
            _ = try IDXDataset(root: folder.path)
        }
    }

    @Test func detectsGzipByContentNotName() throws {
        let folder = TemporaryFolder()
        try folder.copy(fixture: "idx-dot/train-images.idx3-ubyte.gz", as: "train-images-idx3-ubyte")
        try folder.copy(fixture: "idx/train-labels-idx1-ubyte")
        let samples = try readSamples(try IDXDataset(root: folder.path).split("train"))
        #expect(samples.map(\.image) == Fixtures.split("idx", "train").images)
    }
}

/// A gzip member with stored (uncompressed) deflate blocks: lets a test write any content.
func gzipStoredIDX(header: [UInt8] = [], content: [UInt8]? = nil) -> [UInt8] {
    let data = content ?? header + [UInt8](repeating: 0, count: 64)
    var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
    out += [1, UInt8(data.count & 0xFF), UInt8(data.count >> 8), ~UInt8(data.count & 0xFF), ~UInt8(data.count >> 8)]
    out += data
    let crc = data.withUnsafeBytes { CRC32.checksum($0) }
    for v in [crc, UInt32(data.count)] { out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
    return out
}
