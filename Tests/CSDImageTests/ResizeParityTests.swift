import CSDImage
import CSDTensor
import Testing

/// `Image.resized` against Pillow 13's `Image.resize`, byte for byte.
@Suite struct ResizeParityTests {
    @Test func everyPillowCaseMatchesExactly() throws {
        let fixtures = try Fixtures.load()
        #expect(fixtures.versions["pillow"] == "13.0.0")
        #expect(fixtures.resize.count >= 50)
        for c in fixtures.resize {
            let source = try fixtures.image(named: c.image)
            let expected = try fixtures.image(array: c.array)
            let got = try source.resized(height: c.height, width: c.width,
                                         interpolation: Interpolation(fixture: c.interpolation))
            let label = "\(c.image) -> \(c.height)x\(c.width) \(c.interpolation)"
            #expect(got.height == c.height && got.width == c.width && got.channels == source.channels, "\(label)")
            if let i = firstDifference(got.pixels, expected.pixels) {
                Issue.record("\(label): first difference at byte \(i): \(got.pixels[safe: i]) vs \(expected.pixels[safe: i])")
            }
        }
    }

    @Test func bothFiltersAndBothDirectionsAreCovered() throws {
        let fixtures = try Fixtures.load()
        for f in Interpolation.allCases {
            let cases = fixtures.resize.filter { $0.interpolation == f.rawValue }
            let sizes = try cases.map { (try fixtures.shape(fixtures.images[$0.image]!), $0) }
            #expect(sizes.contains { $0.0[0] > $0.1.height && $0.0[1] > $0.1.width }, "no downscale for \(f)")
            #expect(sizes.contains { $0.0[0] < $0.1.height && $0.0[1] < $0.1.width }, "no upscale for \(f)")
            #expect(sizes.contains { $0.0[0] == $0.1.height && $0.0[1] != $0.1.width }, "no width-only case for \(f)")
            #expect(sizes.contains { $0.0[2] == 1 }, "no grayscale case for \(f)")
        }
    }

    /// Rows are split across threads; the bytes must not depend on how.
    @Test func parallelResizeEqualsSingleThreaded() throws {
        var rng = SplitMix(seed: 7)
        let (h, w) = (480, 640)
        let source = try Image(height: h, width: w, channels: 3, pixels: (0..<(h * w * 3)).map { _ in rng.byte() })
        for f in Interpolation.allCases {
            for (oh, ow) in [(256, 341), (700, 933), (97, 640)] {
                let parallel = try source.resized(height: oh, width: ow, interpolation: f)
                let serial = try Threads.withLimit(1) { try source.resized(height: oh, width: ow, interpolation: f) }
                #expect(parallel == serial, "\(f) \(oh)x\(ow)")
            }
        }
    }

    @Test func sameSizeIsIdentity() throws {
        let fixtures = try Fixtures.load()
        let image = try fixtures.image(named: "rgb_37x53")
        #expect(try image.resized(height: 37, width: 53, interpolation: .bicubic) == image)
    }
}

extension Array {
    subscript(safe i: Int) -> String { indices.contains(i) ? "\(self[i])" : "none" }
}

/// A tiny deterministic generator, so the tests need no global random state.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 56) }
}
