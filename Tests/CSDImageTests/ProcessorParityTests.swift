import CSDImage
import CSDTensor
import Testing

/// The DINOv2 and CLIP presets against transformers 5.24's `BitImageProcessorPil` and
/// `CLIPImageProcessorPil` (what `AutoImageProcessor` builds from the hub configs here).
@Suite struct ProcessorParityTests {
    func preprocessing(for c: Fixtures.ProcessorCase) throws -> Preprocessing {
        let preset: Preprocessing = switch c.preset {
        case "dinov2": .dinov2
        case "clip": .clip
        default: throw ImageError.invalidPreprocessing("unknown preset \(c.preset)")
        }
        return preset.resizing(to: .shortestEdge(c.shortestEdge))
            .cropping(to: .init(height: c.cropHeight, width: c.cropWidth))
    }

    @Test func uint8AfterResizeAndCropMatchesExactly() throws {
        let fixtures = try Fixtures.load()
        #expect(fixtures.processors.count >= 6)
        for c in fixtures.processors {
            let image = try fixtures.image(named: c.image)
            let expected = try fixtures.image(array: c.pixels)  // always RGB: the processor converts first
            let got = try preprocessing(for: c).resizedAndCropped(image).convertedToRGB()
            #expect(got.height == expected.height && got.width == expected.width, "\(c.name)")
            if let i = firstDifference(got.pixels, expected.pixels) {
                Issue.record("\(c.name): first difference at byte \(i)")
            }
        }
    }

    /// The processor's float32 output is a per-channel function of the uint8 value (the generator
    /// asserts it), stored as a [3, 256] table: expected[c, y, x] = table[c, pixels[y, x, c]].
    @Test func finalFloatsMatchWithin1e6() throws {
        let fixtures = try Fixtures.load()
        for c in fixtures.processors {
            let image = try fixtures.image(named: c.image)
            let pixels = try fixtures.image(array: c.pixels)
            let table = try fixtures.floats(c.table)
            let (h, w) = (pixels.height, pixels.width)
            var expected = [Float](repeating: 0, count: 3 * h * w)
            for ch in 0..<3 {
                for p in 0..<(h * w) {
                    expected[ch * h * w + p] = table[ch * 256 + Int(pixels.pixels[p * 3 + ch])]
                }
            }
            let got = try preprocessing(for: c)(image)
            #expect(got.shape == [3, h, w], "\(c.name)")
            let worst = maxAbsDifference(got.scalars, expected)
            #expect(worst.value <= 1e-6, "\(c.name): max |diff| \(worst.value) at \(worst.index)")
            if let name = c.values {
                let full = try fixtures.floats(name)
                let direct = maxAbsDifference(got.scalars, full)
                #expect(direct.value <= 1e-6, "\(c.name) (full array): max |diff| \(direct.value)")
            }
        }
    }

    @Test func casesCoverGrayscaleUpscalingAndPadding() throws {
        let fixtures = try Fixtures.load()
        #expect(Set(fixtures.processors.map(\.processor)) == ["BitImageProcessorPil", "CLIPImageProcessorPil"])
        #expect(fixtures.processors.contains { $0.image.hasPrefix("gray") })
        // 110 x 151 to shortest edge 181, crop 224: the crop is 43 rows taller than the image.
        #expect(fixtures.processors.contains { $0.shortestEdge == 181 && $0.cropHeight == 224 })
        #expect(fixtures.processors.contains { $0.values != nil && $0.cropHeight == 151 })
    }

    @Test func batchStacksImagesInOrder() throws {
        let fixtures = try Fixtures.load()
        let a = try fixtures.image(named: "rgb_200x300")
        let b = try fixtures.image(named: "gray_110x151")
        let batch = try Preprocessing.dinov2([a, b, a])
        #expect(batch.shape == [3, 3, 224, 224])
        let single = try Preprocessing.dinov2(b)
        let n = 3 * 224 * 224
        #expect(Array(batch.scalars[n..<(2 * n)]) == single.scalars)
        #expect(Array(batch.scalars[0..<n]) == Array(batch.scalars[(2 * n)..<(3 * n)]))
    }
}
