@testable import CSDData
import CSDImage
import Foundation
import Testing

@Suite struct StripesTests {
    static let white = (UInt8(255), UInt8(255), UInt8(255))
    static let yellow = (UInt8(255), UInt8(165), UInt8(79))

    /// Every pixel is the stripe colour exactly where the formula says, the gray digit elsewhere.
    func expectPainted(_ sample: Sample, gray: Image, color: (UInt8, UInt8, UInt8), sourceLocation: SourceLocation = #_sourceLocation) {
        let a = sample.attributes
        let stripes = StripeParameters(width: a["stripe_width"]!, spacing: a["stripe_spacing"]!,
                                       angle: a["stripe_angle"]!, phase: a["stripe_phase"]!)
        let radians = Double(stripes.angle) * .pi / 180
        var mismatches = 0, striped = 0
        for i in 0..<gray.height {
            for j in 0..<gray.width {
                // The recipe of docs/DATASETS.md, written out independently of the reader.
                let t = Double(j) * cos(radians) + Double(i) * sin(radians) + Double(stripes.phase)
                let m = t - Double(stripes.spacing) * (t / Double(stripes.spacing)).rounded(.down)
                let on = m < Double(stripes.width)
                let g = gray[i, j, 0]
                let expected = on ? color : (g, g, g)
                if on { striped += 1 }
                if (sample.image[i, j, 0], sample.image[i, j, 1], sample.image[i, j, 2]) != expected { mismatches += 1 }
            }
        }
        #expect(mismatches == 0, "index \(sample.index)", sourceLocation: sourceLocation)
        #expect(striped > 0 && striped < gray.height * gray.width, sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: Fixtures.hasFashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func fashionMNISTAsSourceWhiteAndYellowShareParameters() throws {
        let source = Fixtures.fashionMNIST
        let white = try DatasetRegistry.open("mnist-white-stripes:\(source)?seed=3")
        let yellow = try DatasetRegistry.open("mnist-yellow-stripes:\(source)?seed=3")
        #expect(white.id == "mnist-white-stripes" && yellow.id == "mnist-yellow-stripes")
        #expect(white.fingerprint != yellow.fingerprint)
        let gray = try readSamples(try DatasetRegistry.open("mnist:" + source).split("test"), 100..<140)
        let w = try readSamples(try white.split("test"), 100..<140)
        let y = try readSamples(try yellow.split("test"), 100..<140)
        #expect(try white.split("test").attributeNames == ["stripe_width", "stripe_spacing", "stripe_angle", "stripe_phase"])
        for k in 0..<gray.count {
            #expect(w[k].attributes == y[k].attributes)
            #expect(w[k].label == gray[k].label && w[k].index == 100 + k)
            #expect(w[k].image.channels == 3 && w[k].image.height == 28)
            expectPainted(w[k], gray: gray[k].image, color: StripesTests.white)
            expectPainted(y[k], gray: gray[k].image, color: StripesTests.yellow)
        }
        // Train and test draw from different streams; a different seed changes the stripes.
        let trainFirst = try readSamples(try white.split("train"), 100..<101)[0]
        #expect(trainFirst.attributes != w[0].attributes)
        let other = try readSamples(try DatasetRegistry.open("mnist-white-stripes:\(source)?seed=4").split("test"), 100..<101)[0]
        #expect(other.attributes != w[0].attributes)
    }

    @Test(.enabled(if: Fixtures.hasFashionMNIST, "needs Debian's dataset-fashion-mnist"))
    func fashionMNISTKindsNameTheClassesAndPaintTheSameStripes() throws {
        let source = Fixtures.fashionMNIST
        for color in ["white", "yellow"] {
            let fashion = try DatasetRegistry.open("fashion-mnist-\(color)-stripes:\(source)?seed=3")
            let digits = try DatasetRegistry.open("mnist-\(color)-stripes:\(source)?seed=3")
            #expect(fashion.id == "fashion-mnist-\(color)-stripes")
            #expect(try fashion.split("test").classNames == IDXDataset.fashionMNISTClasses)
            let a = try readSamples(try fashion.split("test"), 0..<8), b = try readSamples(try digits.split("test"), 0..<8)
            for (x, y) in zip(a, b) {
                #expect(x.label == y.label && x.attributes == y.attributes && x.image.pixels == y.image.pixels)
            }
        }
    }

    @Test func deterministicAndWithinDefaultRanges() throws {
        let spec = "mnist-yellow-stripes:\(Fixtures.path("idx"))?seed=11"
        let a = try readSamples(spec, split: "train"), b = try readSamples(spec, split: "train")
        #expect(a.map(\.image) == b.map(\.image) && a.map(\.attributes) == b.map(\.attributes))
        #expect(try DatasetRegistry.open(spec).fingerprint == DatasetRegistry.open(spec).fingerprint)
        try expectRangesMatch(try DatasetRegistry.open(spec).split("train"))
        // Many draws: every parameter inside its default range.
        let options = StripeOptions()
        var widths = Set<Float>(), spacings = Set<Float>()
        for index in 0..<2000 {
            let p = StripeParameters.draw(options: options, split: "train", index: index)
            #expect([2, 3, 4].contains(p.width) && (6...12).contains(p.spacing) && p.spacing == p.spacing.rounded())
            #expect(p.spacing > p.width && p.angle >= -90 && p.angle < 90 && p.phase >= 0 && p.phase < p.spacing)
            widths.insert(p.width)
            spacings.insert(p.spacing)
        }
        #expect(widths == [2, 3, 4] && spacings == Set((6...12).map(Float.init)))
        // Any image alone equals its place in a sequence.
        #expect(StripeParameters.draw(options: options, split: "test", index: 7)
                == StripeParameters.draw(options: options, split: "test", index: 7))
    }

    @Test func fixedParametersGiveAKnownPattern() throws {
        let spec = "mnist-white-stripes:\(Fixtures.path("idx"))?seed=1&width=2&spacing=3&angle=0&phase=0"
        let samples = try readSamples(spec, split: "test")
        let gray = Fixtures.split("idx", "test").images
        for (sample, g) in zip(samples, gray) {
            #expect(sample.attributes == ["stripe_width": 2, "stripe_spacing": 3, "stripe_angle": 0, "stripe_phase": 0])
            // Angle 0: t = column; columns 0, 1 and 3 of a 4-wide image are striped, column 2 is not.
            for row in 0..<5 {
                for col in [0, 1, 3] { #expect(sample.image[row, col, 0] == 255 && sample.image[row, col, 2] == 255) }
                #expect(sample.image[row, 2, 1] == g[row, 2, 0])
            }
        }
        // Angle 90: t = row + phase; with phase 1, rows where (row + 1) mod 3 < 2 (0, 2, 3) are striped.
        let vertical = try readSamples("mnist-white-stripes:\(Fixtures.path("idx"))?width=2&spacing=3&angle=90&phase=1", split: "test")
        for (sample, g) in zip(vertical, gray) {
            for col in 0..<4 {
                for row in [0, 2, 3] { #expect(sample.image[row, col, 1] == 255) }
                for row in [1, 4] { #expect(sample.image[row, col, 1] == g[row, col, 0]) }
            }
        }
    }

    @Test func rangesAreConfigurableAndChecked() throws {
        let root = Fixtures.path("idx")
        let samples = try readSamples("mnist-white-stripes:\(root)?seed=5&width=1,2&spacing=3,4&angle=10,20&phase=0.5,1", split: "train")
        for s in samples {
            let a = s.attributes
            #expect((1...2).contains(a["stripe_width"]!) && (3...4).contains(a["stripe_spacing"]!))
            #expect(a["stripe_angle"]! >= 10 && a["stripe_angle"]! < 20)
            #expect(a["stripe_phase"]! >= 0.5 && a["stripe_phase"]! < 1)
        }
        expectDatasetError(["spacing must exceed width"]) { _ = try DatasetRegistry.open("mnist-white-stripes:\(root)?width=5&spacing=4,5") }
        expectDatasetError(["width", "integers"]) { _ = try DatasetRegistry.open("mnist-white-stripes:\(root)?width=2.5") }
        expectDatasetError(["angle=abc"]) { _ = try DatasetRegistry.open("mnist-white-stripes:\(root)?angle=abc") }
        expectDatasetError(["angle range", "empty"]) { _ = try DatasetRegistry.open("mnist-white-stripes:\(root)?angle=20,10") }
        expectDatasetError(["unknown option 'colour'", "seed, width, spacing, angle, phase"]) {
            _ = try DatasetRegistry.open("mnist-yellow-stripes:\(root)?colour=red")
        }
        expectDatasetError(["seed=-1"]) { _ = try DatasetRegistry.open("mnist-yellow-stripes:\(root)?seed=-1") }
    }
}
