import CSDTestSupport
@testable import CSDData
import CSDImage
import CSDSystem
import Foundation
import Testing

@Suite struct FolderTests {
    static let expected = Fixtures.section("folder")

    func expectedItems(_ split: String) -> [(file: String, label: Int, image: Image)] {
        (FolderTests.expected[split] as! [[String: Any]]).map {
            ($0["file"] as! String, $0["label"] as! Int,
             try! Image(height: $0["height"] as! Int, width: $0["width"] as! Int, channels: $0["channels"] as! Int,
                        pixels: Fixtures.bytes($0["pixels"] as! String)))
        }
    }

    @Test func readsEveryPNGModeAndJPEG() throws {
        let dataset = try DatasetRegistry.open("folder:" + Fixtures.path("folder"))
        #expect(dataset.id == "folder:folder" && dataset.splitNames == ["train", "test"])
        for name in ["train", "test"] {
            let split = try dataset.split(name)
            #expect(split.classNames == ["cat", "dog"])
            let items = expectedItems(name)
            let samples = try readSamples(split)
            #expect(samples.count == items.count)  // notes.txt and .hidden.png are skipped
            for (sample, item) in zip(samples, items) {
                #expect(sample.label == item.label, "\(item.file)")
                #expect(sample.image == item.image, "\(item.file)")
            }
            try expectRangesMatch(split)
        }
    }

    @Test func singleSplitWithoutTrainTestFolders() throws {
        let dataset = try DatasetRegistry.open("folder:" + Fixtures.path("folder/train"))
        #expect(dataset.splitNames == ["train"])
        #expect(try dataset.split("train").labels() == expectedItems("train").map(\.label))
    }

    @Test func decoderRejectsDamagedImages() throws {
        let png = try readBytes(Fixtures.path("folder/train/cat/b_rgb8.png"))
        let jpeg = try readBytes(Fixtures.path("folder/train/cat/e_photo.JPG"))
        expectDatasetError(["PNG decode failed"], file: "x.png") { _ = try ImageFileDecoder.decode(Array(png.prefix(png.count - 30)), file: "x.png") }
        expectDatasetError(["PNG decode failed"], file: "x.png") { _ = try ImageFileDecoder.decode(Array(png.prefix(40)), file: "x.png") }
        var badCRC = png
        badCRC[30] ^= 0xFF  // inside IHDR: its CRC no longer matches
        expectDatasetError(["PNG decode failed", "CRC"], file: "x.png") { _ = try ImageFileDecoder.decode(badCRC, file: "x.png") }
        expectDatasetError(["JPEG decode failed"], file: "y.jpg") { _ = try ImageFileDecoder.decode(Array(jpeg.prefix(jpeg.count / 2)), file: "y.jpg") }
        expectDatasetError(["JPEG decode failed"], file: "y.jpg") { _ = try ImageFileDecoder.decode(Array(jpeg.prefix(3)), file: "y.jpg") }
        // Cut inside the entropy-coded data: libjpeg only warns and pads with gray; refused here.
        expectDatasetError(["JPEG decode failed", "premature end"], file: "y.jpg") {
            _ = try ImageFileDecoder.decode(Array(jpeg.prefix(jpeg.count - 20)), file: "y.jpg")
        }
        expectDatasetError(["not a PNG or JPEG"], file: "z.png") { _ = try ImageFileDecoder.decode(Array("GIF89a".utf8), file: "z.png") }
        let cmyk = try readBytes(Fixtures.path("bad/cmyk.jpg"))
        expectDatasetError(["CMYK"], file: "cmyk.jpg") { _ = try ImageFileDecoder.decode(cmyk, file: "cmyk.jpg") }
        // A huge IHDR (65535 x 65535 RGB, CRC fixed) is refused before any allocation: deflate
        // cannot hold 12 GB of rows in 236 bytes.
        var huge = png
        huge[16..<24] = [0, 0, 0xFF, 0xFF, 0, 0, 0xFF, 0xFF]
        let crc = Array(huge[12..<29]).withUnsafeBytes { CRC32.checksum($0) }
        huge[29..<33] = [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
        expectDatasetError(["PNG decode failed", "declares 65535 x 65535 pixels, more than the file's 236 bytes can hold"], file: "x.png") {
            _ = try ImageFileDecoder.decode(huge, file: "x.png")
        }
        // So is a JPEG frame of 63000 x 10767 in a small file (found by fuzzing: libjpeg decoded
        // 2 GB of gray filler for 14 s): every 8x8 block takes at least a bit.
        var wide = jpeg
        let frame = try #require((0..<(wide.count - 9)).first { wide[$0] == 0xFF && (wide[$0 + 1] == 0xC0 || wide[$0 + 1] == 0xC2) })
        wide[(frame + 5)..<(frame + 9)] = [0x2A, 0x0F, 0xF6, 0x18]  // height 10767, width 63000
        expectDatasetError(["JPEG decode failed", "declares 63000 x 10767 pixels"], file: "y.jpg") {
            _ = try ImageFileDecoder.decode(wide, file: "y.jpg")
        }
    }

    @Test func folderReaderNamesTheBadImage() throws {
        let folder = TemporaryFolder()
        try folder.copy(fixture: "folder/train", as: "data")
        try modify(folder.file("data/dog/b_rgba16.png")) { $0.removeLast(40) }
        let split = try ImageFolderDataset(root: folder.file("data")).split("train")
        expectDatasetError(["PNG decode failed"], file: "data/dog/b_rgba16.png") { _ = try readSamples(split) }
        // The samples before it read fine.
        #expect(try readSamples(split, 0..<5).count == 5)
    }

    @Test func rejectsEmptyFolders() throws {
        let folder = TemporaryFolder()
        expectDatasetError(["no class folders"]) { _ = try ImageFolderDataset(root: folder.path) }
        try FileManager.default.createDirectory(atPath: folder.file("a"), withIntermediateDirectories: true)
        try folder.write(Array("x".utf8), to: "a/readme.txt")
        expectDatasetError(["no PNG or JPEG images"]) { _ = try ImageFolderDataset(root: folder.path) }
        expectDatasetError(["not a folder"]) { _ = try ImageFolderDataset(root: folder.file("missing")) }
    }
}
