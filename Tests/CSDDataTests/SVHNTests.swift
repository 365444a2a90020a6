import CSDTestSupport
@testable import CSDData
import CSDImage
import Foundation
import Testing

@Suite struct SVHNTests {
    @Test func readsCompressedMATFiles() throws {
        let dataset = try DatasetRegistry.open("svhn:" + Fixtures.path("svhn"))
        #expect(dataset.id == "svhn" && dataset.splitNames == ["train", "test", "extra"])
        for name in ["train", "test", "extra"] {
            let split = try dataset.split(name)
            let expected = Fixtures.split("svhn", name)
            // y is uint8 (train, extra: a 2-byte small element) or double (test); 10 maps to 0.
            #expect(try split.labels() == expected.labels && expected.labels[0] == 0)
            #expect(try readSamples(split).map(\.image) == expected.images)
            try expectRangesMatch(split)
        }
    }

    @Test func readsUncompressedMATFiles() throws {
        let split = try DatasetRegistry.open("svhn:" + Fixtures.path("svhn-plain")).split("train")
        let expected = Fixtures.split("svhn", "train")
        #expect(try split.labels() == expected.labels)
        #expect(try readSamples(split).map(\.image) == expected.images)
        try expectRangesMatch(split)
    }

    @Test func parsesTheStructure() throws {
        let file = try MATFile(path: Fixtures.path("svhn/extra_32x32.mat"))
        #expect(file.variables.map(\.name) == ["X", "y"])
        let x = try file.variable("X"), y = try file.variable("y")
        #expect(x.compressed && x.classID == 9 && x.dims == [32, 32, 3, 2] && x.dataBytes == 6144 && x.smallData == nil)
        #expect(y.dims == [2, 1] && y.smallData?.count == 2)
        let test = try MATFile(path: Fixtures.path("svhn/test_32x32.mat")).variable("y")
        #expect(test.classID == 6 && test.dataType == 9 && test.dataBytes == 24)
    }

    func damagedCopy(_ fixture: String = "svhn/train_32x32.mat", _ change: (inout [UInt8]) -> Void) throws -> TemporaryFolder {
        let folder = TemporaryFolder()
        let path = try folder.copy(fixture: fixture, as: "train_32x32.mat")
        try modify(path, change)
        return folder
    }

    func openAndRead(_ folder: TemporaryFolder) throws {
        let split = try SVHNDataset(root: folder.path).split("train")
        _ = try split.labels()
        _ = try readSamples(split)
    }

    /// Offsets of the top-level elements of a fixture (tag at each).
    func elementOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = [], offset = 128
        while offset + 8 <= bytes.count {
            offsets.append(offset)
            let count = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            offset += 8 + count
        }
        return offsets
    }

    @Test func rejectsBadHeaders() throws {
        let file = "train_32x32.mat"
        expectDatasetError(["wrong magic"], file: file) { try openAndRead(try damagedCopy { $0[0] = 0x4E }) }
        expectDatasetError(["big-endian"], file: file) { try openAndRead(try damagedCopy { $0[126] = 0x4D; $0[127] = 0x49 }) }
        expectDatasetError(["v7.3"], file: file) { try openAndRead(try damagedCopy { $0[124] = 0; $0[125] = 2 }) }
        expectDatasetError(["too short"], file: file) { try openAndRead(try damagedCopy { $0.removeLast($0.count - 100) }) }
    }

    @Test func rejectsTruncationAndCorruption() throws {
        let file = "train_32x32.mat"
        // Truncated anywhere in X's element: its byte count runs past the end.
        expectDatasetError(["claims", "truncated file"], file: file) { try openAndRead(try damagedCopy { $0.removeLast(3000) }) }
        expectDatasetError(["truncated data element tag"], file: file) { try openAndRead(try damagedCopy { $0 += [1, 2, 3] }) }
        // Corrupt deflate data inside X (after its header): found while streaming the images.
        expectDatasetError(["corrupt compressed variable 'X'"], file: file) {
            try openAndRead(try damagedCopy { bytes in for i in 600..<700 { bytes[i] ^= 0x5A } })
        }
        // A flipped Adler-32 byte at the end of X's stream: found at the last image.
        let bytes = try readBytes(Fixtures.path("svhn/train_32x32.mat"))
        let yOffset = elementOffsets(bytes)[1]
        expectDatasetError(["incorrect data check"], file: file) {
            try openAndRead(try damagedCopy { $0[yOffset - 1] ^= 0x01 })
        }
        // Garbage where the zlib header should be.
        expectDatasetError(["corrupt compressed element"], file: file) { try openAndRead(try damagedCopy { $0[136] = 0x00 }) }
    }

    @Test func rejectsLyingStructure() throws {
        let file = "train_32x32.mat"
        // Uncompressed file: patch the array header fields directly.
        let plain = try readBytes(Fixtures.path("svhn-plain/train_32x32.mat"))
        let x = 128  // X's miMATRIX tag; flags at +8, dims tag at +24, dims at +32
        #expect(plain[x] == 14 && plain[x + 24] == 5)
        // A top-level element of another type is skipped (MAT files may hold other data).
        expectDatasetError(["no variable 'X'", "found: y"], file: file) {
            try openAndRead(try damagedCopy("svhn-plain/train_32x32.mat") { $0[x] = 13 })
        }
        // N = 6 claimed for 5 images: data bytes disagree with the dimensions.
        expectDatasetError(["variable 'X' has 15360 data bytes", "dimensions [32, 32, 3, 6]"], file: file) {
            try openAndRead(try damagedCopy("svhn-plain/train_32x32.mat") { $0[x + 44] = 6 })
        }
        // Class double instead of uint8.
        expectDatasetError(["must be real uint8"], file: file) {
            try openAndRead(try damagedCopy("svhn-plain/train_32x32.mat") { $0[x + 16] = 6 })
        }
        // The miMATRIX byte count disagrees with its sub-elements.
        expectDatasetError(["claims", "sub-elements"], file: file) {
            try openAndRead(try damagedCopy("svhn-plain/train_32x32.mat") { $0[x + 4] &+= 8 })
        }
        // Complex flag.
        expectDatasetError(["must be real uint8"], file: file) {
            try openAndRead(try damagedCopy("svhn-plain/train_32x32.mat") { $0[x + 17] |= 0x08 })
        }
        // Array flags with a wrong size.
        expectDatasetError(["array flags"], file: file) { try openAndRead(try damagedCopy("svhn-plain/train_32x32.mat") { $0[x + 12] = 4 }) }
        // Rename y to z: a missing variable.
        let yName = elementOffsets(plain)[1] + 8 + 16 + 16
        #expect(plain[yName] == 1 && plain[yName + 4] == UInt8(ascii: "y"))
        expectDatasetError(["no variable 'y'", "found: X, z"], file: file) {
            try openAndRead(try damagedCopy("svhn-plain/train_32x32.mat") { $0[yName + 4] = UInt8(ascii: "z") })
        }
    }

    @Test func rejectsBadLabels() throws {
        let plain = try readBytes(Fixtures.path("svhn-plain/train_32x32.mat"))
        let yData = elementOffsets(plain)[1] + 8 + 16 + 16 + 8 + 8
        #expect(plain[yData] == 10)
        let folder = try damagedCopy("svhn-plain/train_32x32.mat") { $0[yData + 2] = 11 }
        expectDatasetError(["y[2] = 11.0", "1...10"], file: "train_32x32.mat") { try openAndRead(folder) }
        let zero = try damagedCopy("svhn-plain/train_32x32.mat") { $0[yData] = 0 }
        expectDatasetError(["y[0] = 0.0"], file: "train_32x32.mat") { try openAndRead(zero) }
    }

    @Test func missingFiles() throws {
        let folder = TemporaryFolder()
        expectDatasetError(["no SVHN files"]) { _ = try SVHNDataset(root: folder.path) }
        expectDatasetError(["not a folder"]) { _ = try DatasetRegistry.open("svhn:" + folder.file("absent")) }
    }
}
