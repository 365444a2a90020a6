import CSDImage
import CSDTensor
import Testing

/// RADIO's recipe (uint8 -> float32 / 255 -> torch bilinear, no antialias) against PyTorch.
@Suite struct RadioParityTests {
    @Test func radioPresetMatchesTorchWithin1e6() throws {
        let fixtures = try Fixtures.load()
        #expect(fixtures.radio.count >= 5)
        for c in fixtures.radio {
            let image = try fixtures.image(named: c.image)
            let expected = try fixtures.floats(c.array)
            // Fixture sizes are small, so check multiples of 4 rather than RADIO's 16.
            let got = try Preprocessing.radio(height: c.height, width: c.width, patchSize: 4)(image)
            #expect(got.shape == [3, c.height, c.width])
            let worst = maxAbsDifference(got.scalars, expected)
            #expect(worst.value <= 1e-6, "\(c.image) -> \(c.height)x\(c.width): max |diff| \(worst.value)")
        }
    }

    @Test func sameSizeInterpolationIsExact() throws {
        let x = Tensor((0..<24).map { Float($0) / 7 }, shape: [2, 3, 4])
        let y = try TorchInterpolate.bilinear(x, height: 3, width: 4)
        #expect(y.scalars == x.scalars)
    }

    /// Upscaling 2x with align_corners=False: interior outputs are 3:1 blends, edges clamp.
    @Test func knownTwoTimesUpscale() throws {
        let x = Tensor([0, 1], shape: [1, 1, 2])
        let y = try TorchInterpolate.bilinear(x, height: 1, width: 4)
        #expect(y.scalars == [0, 0.25, 0.75, 1])
    }

    @Test func sizeMustBeAMultipleOfThePatch() throws {
        let image = try Image(height: 10, width: 10, channels: 3)
        #expect(throws: ImageError.sizeNotMultiple(height: 200, width: 200, multiple: 16)) {
            try Preprocessing.radio(size: 200)(image)
        }
        #expect(try Preprocessing.radio(size: 32)(image).shape == [3, 32, 32])
    }
}
