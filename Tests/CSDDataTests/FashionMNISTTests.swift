@testable import CSDData
import CSDImage
import Foundation
import Testing

/// The real Fashion-MNIST files of Debian's dataset-fashion-mnist, against the facts numpy read
/// from them (expected.json). Samples a few train ranges rather than decoding 60000 images.
@Suite(.enabled(if: Fixtures.hasFashionMNIST, "needs Debian's dataset-fashion-mnist"))
struct FashionMNISTTests {
    let facts = Fixtures.section("fashion_mnist")

    func expectedSamples(_ split: String) -> [(index: Int, label: Int, sum: Int, pixels: [UInt8])] {
        ((facts[split] as! [String: Any])["samples"] as! [[String: Any]]).map {
            ($0["index"] as! Int, $0["label"] as! Int, $0["sum"] as! Int, Fixtures.bytes($0["pixels"] as! String))
        }
    }

    @Test func countsAndLabels() throws {
        let dataset = try DatasetRegistry.open("fashion-mnist:" + Fixtures.fashionMNIST)
        #expect(dataset.splitNames == ["train", "test"])
        for name in ["train", "test"] {
            let split = try dataset.split(name)
            let f = facts[name] as! [String: Any]
            #expect(split.count == f["count"] as! Int)
            let labels = try split.labels()
            #expect(Array(labels.prefix(20)) == f["first_labels"] as! [Int])
            #expect(Array(labels.suffix(10)) == f["last_labels"] as! [Int])
            var counts = [Int](repeating: 0, count: 10)
            for l in labels { counts[l] += 1 }
            #expect(counts == f["label_counts"] as! [Int])
        }
        #expect(try dataset.split("train").count == 60000)
        #expect(try dataset.split("test").count == 10000)
        // Known first labels of the official files: Ankle boot, T-shirt/top, T-shirt/top, Dress.
        #expect(Array(try dataset.split("train").labels().prefix(4)) == [9, 0, 0, 3])
    }

    @Test func testSplitPixelChecksumAndSamples() throws {
        let split = try DatasetRegistry.open("fashion-mnist:" + Fixtures.fashionMNIST).split("test")
        var reader = try split.reader(range: 0..<split.count)
        var sum = 0, n = 0
        var byIndex: [Int: Sample] = [:]
        let wanted = Set(expectedSamples("test").map(\.index))
        while let sample = try reader.next() {
            #expect(sample.index == n)
            sample.image.pixels.withUnsafeBufferPointer { for v in $0 { sum += Int(v) } }
            if wanted.contains(sample.index) { byIndex[sample.index] = sample }
            n += 1
        }
        #expect(n == 10000)
        #expect(sum == (facts["test"] as! [String: Any])["pixel_sum"] as! Int)
        for e in expectedSamples("test") {
            let sample = try #require(byIndex[e.index])
            #expect(sample.label == e.label && sample.image.pixels == e.pixels)
            #expect(sample.image.height == 28 && sample.image.width == 28 && sample.image.channels == 1)
        }
    }

    @Test func trainRangesMatchNumpy() throws {
        let split = try DatasetRegistry.open("fashion-mnist:" + Fixtures.fashionMNIST).split("train")
        for e in expectedSamples("train") {
            // Each reader starts mid-file (skipping through the gzip stream); the last one also
            // verifies the stream's CRC.
            let samples = try readSamples(split, e.index..<e.index + 1)
            #expect(samples.count == 1)
            #expect(samples[0].index == e.index && samples[0].label == e.label)
            #expect(samples[0].image.pixels == e.pixels)
            #expect(samples[0].image.pixels.reduce(0) { $0 + Int($1) } == e.sum)
        }
        let tail = try readSamples(split, 59995..<60000)
        let one = try readSamples(split, 59997..<59998)
        #expect(tail[2].image == one[0].image && tail.map(\.index) == Array(59995..<60000))
    }
}
