@testable import CSDData
import CSDImage
import Foundation
import Testing

@Suite struct SyntheticTests {
    @Test func defaultsAndDeterminism() throws {
        let dataset = try DatasetRegistry.open("synthetic")
        #expect(dataset.id == "synthetic" && dataset.splitNames == ["train", "test"])
        let train = try dataset.split("train")
        let testCount = try dataset.split("test").count
        #expect(train.count == 2000 && testCount == 500)
        #expect(train.classNames == ["disk", "ring", "square", "frame", "triangle", "plus", "cross", "hbars", "vbars", "diamond"])
        #expect(train.attributeNames.count == 12 && train.attributeNames.contains("fg_r") && train.attributeNames.contains("stripe_angle"))
        let a = try readSamples(train, 0..<20)
        let b = try readSamples(try DatasetRegistry.open("synthetic:?seed=0").split("train"), 0..<20)
        #expect(a.map(\.image) == b.map(\.image) && a.map(\.attributes) == b.map(\.attributes) && a.map(\.label) == b.map(\.label))
        #expect(a[0].image.height == 32 && a[0].image.width == 32 && a[0].image.channels == 3)
        let other = try readSamples(try DatasetRegistry.open("synthetic:?seed=1").split("train"), 0..<20)
        #expect(other.map(\.image) != a.map(\.image))
        #expect(try DatasetRegistry.open("synthetic:?seed=1").fingerprint != dataset.fingerprint)
        #expect(try DatasetRegistry.open("synthetic:?seed=0").fingerprint == dataset.fingerprint)
        // Train and test are different images.
        #expect(try readSamples(try dataset.split("test"), 0..<20).map(\.image) != a.map(\.image))
    }

    @Test func balancedClassesAndStyleRanges() throws {
        let split = try DatasetRegistry.open("synthetic:?classes=7&train=45&test=0&size=12&seed=9").split("train")
        let labels = try split.labels()
        var counts = [Int](repeating: 0, count: 7)
        for l in labels { counts[l] += 1 }
        #expect(counts.max()! - counts.min()! <= 1 && counts.reduce(0, +) == 45)
        // Every block of 7 consecutive samples holds each class once, in a shuffled order.
        for block in 0..<6 { #expect(Set(labels[block * 7..<block * 7 + 7]) == Set(0..<7)) }
        #expect(Array(labels.prefix(14)) != Array(0..<7) + Array(0..<7))
        let samples = try readSamples(split)
        #expect(samples.map(\.label) == labels)
        for s in samples {
            let a = s.attributes
            #expect(Set(a.keys) == Set(split.attributeNames))
            #expect(max(a["fg_r"]!, a["fg_g"]!, a["fg_b"]!) >= 0.75 && max(a["bg_r"]!, a["bg_g"]!, a["bg_b"]!) <= 0.35)
            #expect(a["scale"]! >= 0.55 && a["scale"]! < 0.85 && abs(a["shift_x"]!) <= 0.15 && abs(a["shift_y"]!) <= 0.15)
            #expect(a["stripes"] == 0 || a["stripes"] == 1)
            #expect(s.image.height == 12 && s.image.channels == 3)
        }
        try expectRangesMatch(split)
    }

    /// The centre pixel of a disk is the foreground colour, a corner the background (or stripe).
    @Test func rendersStyleAsRecorded() throws {
        let samples = try readSamples(try DatasetRegistry.open("synthetic:?classes=2&train=40&test=0&size=32").split("train"))
        for s in samples where s.label == 0 && abs(s.attributes["shift_x"]!) < 0.1 && abs(s.attributes["shift_y"]!) < 0.1 {
            let a = s.attributes
            let fg = [a["fg_r"]!, a["fg_g"]!, a["fg_b"]!].map { UInt8(($0 * 255).rounded()) }
            #expect([s.image[16, 16, 0], s.image[16, 16, 1], s.image[16, 16, 2]] == fg)
            if a["stripes"] == 0 {
                let bg = [a["bg_r"]!, a["bg_g"]!, a["bg_b"]!].map { UInt8(($0 * 255).rounded()) }
                #expect([s.image[0, 0, 0], s.image[0, 0, 1], s.image[0, 0, 2]] == bg)
            }
        }
    }

    /// Content is linearly readable from raw pixels: a nearest-class-mean classifier (a linear
    /// rule) trained on 600 images beats chance (10%) by far on 300 others.
    @Test func contentIsLearnableByALinearRule() throws {
        let dataset = try DatasetRegistry.open("synthetic:?train=600&test=300&size=16&seed=2")
        let train = try readSamples(try dataset.split("train")), test = try readSamples(try dataset.split("test"))
        let d = 16 * 16 * 3
        var means = [[Double]](repeating: [Double](repeating: 0, count: d), count: 10)
        var counts = [Double](repeating: 0, count: 10)
        for s in train {
            counts[s.label] += 1
            for i in 0..<d { means[s.label][i] += Double(s.image.pixels[i]) }
        }
        for k in 0..<10 { for i in 0..<d { means[k][i] /= counts[k] } }
        var correct = 0
        for s in test {
            let distances = means.map { m in (0..<d).reduce(0.0) { $0 + (Double(s.image.pixels[$1]) - m[$1]) * (Double(s.image.pixels[$1]) - m[$1]) } }
            if distances.firstIndex(of: distances.min()!) == s.label { correct += 1 }
        }
        let accuracy = Double(correct) / Double(test.count)
        #expect(accuracy > 0.4, "nearest-class-mean accuracy \(accuracy)")
    }

    @Test func rejectsBadOptions() throws {
        expectDatasetError(["classes=11", "2...10"]) { _ = try DatasetRegistry.open("synthetic:?classes=11") }
        expectDatasetError(["train=x"]) { _ = try DatasetRegistry.open("synthetic:?train=x") }
        expectDatasetError(["unknown option 'colors'", "classes, train, test, size, seed"]) { _ = try DatasetRegistry.open("synthetic:?colors=3") }
        expectDatasetError(["takes no path"]) { _ = try DatasetRegistry.open("synthetic:/tmp") }
        expectDatasetError(["no split 'test'"]) { _ = try DatasetRegistry.open("synthetic:?test=0").split("test") }
    }
}
