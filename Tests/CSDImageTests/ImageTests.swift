import CSDImage
import CSDTensor
import Foundation
import Testing

@Suite struct ImageTests {
    @Test func grayscaleIsReplicatedToThreeChannels() throws {
        let gray = try Image(height: 2, width: 2, channels: 1, pixels: [0, 50, 200, 255])
        let rgb = gray.convertedToRGB()
        #expect(rgb.channels == 3)
        #expect(rgb.pixels == [0, 0, 0, 50, 50, 50, 200, 200, 200, 255, 255, 255])
        #expect(rgb.convertedToRGB() == rgb)
    }

    @Test func grayscaleAndItsRGBCopyPreprocessIdentically() throws {
        let fixtures = try Fixtures.load()
        let gray = try fixtures.image(named: "gray_110x151")
        for p in [Preprocessing.dinov2, .clip, .radio(size: 64)] {
            let a = try p(gray), b = try p(gray.convertedToRGB())
            #expect(a.shape[0] == 3 && a.scalars == b.scalars)
        }
    }

    @Test func invalidImagesThrowClearErrors() throws {
        #expect(throws: ImageError.emptyImage(height: 0, width: 5)) {
            try Image(height: 0, width: 5, channels: 3, pixels: [])
        }
        #expect(throws: ImageError.unsupportedChannelCount(4)) {
            try Image(height: 1, width: 1, channels: 4, pixels: [1, 2, 3, 4])
        }
        #expect(throws: ImageError.pixelCountMismatch(expected: 6, actual: 5)) {
            try Image(height: 1, width: 2, channels: 3, pixels: [1, 2, 3, 4, 5])
        }
        #expect(throws: ImageError.tooLarge(height: Int.max, width: 2, channels: 3)) {
            try Image(height: Int.max, width: 2, channels: 3, pixels: [])
        }
        let message = ImageError.unsupportedChannelCount(2).localizedDescription
        #expect(message.contains("2 channels") && message.contains("RGB"))
    }

    @Test func invalidRequestsThrow() throws {
        let image = try Image(height: 4, width: 6, channels: 3)
        #expect(throws: ImageError.invalidTargetSize(height: 0, width: 3)) {
            try image.resized(height: 0, width: 3, interpolation: .bicubic)
        }
        #expect(throws: ImageError.invalidTargetSize(height: 2, width: -1)) {
            try image.centerCropped(height: 2, width: -1)
        }
        #expect(throws: ImageError.emptyBatch) { try Preprocessing.dinov2([]) }
        #expect(throws: ImageError.self) { try Preprocessing.dinov2.resizing(to: .shortestEdge(0))(image) }
        #expect(throws: ImageError.self) {
            var p = Preprocessing.clip
            p.std = [1, 0, 1]
            _ = try p(image)
        }
        #expect(throws: ImageError.self) {
            var p = Preprocessing.clip
            p.mean = [0.5]
            _ = try p(image)
        }
        #expect(throws: ImageError.self) { try Preprocessing.radio(size: 32).resizedAndCropped(image) }
        #expect(throws: ImageError.self) {
            var p = Preprocessing.radio(size: 32)
            p.interpolation = .bicubic
            _ = try p(image)
        }
        #expect(throws: ImageError.tooLarge(height: 1 << 40, width: 1 << 40, channels: 3)) {
            _ = try Preprocessing.dinov2.resizing(to: .exact(height: 1 << 40, width: 1 << 40))(image)
        }
        #expect(throws: ImageError.self) { _ = try Preprocessing.dinov2.resizing(to: .shortestEdge(Int.max))(image) }
        #expect(throws: ImageError.invalidPreprocessing("bilinear interpolation needs a tensor [..., H, W], got [3]")) {
            try TorchInterpolate.bilinear(Tensor(zeros: [3]), height: 2, width: 2)
        }
    }

    @Test func batchWithDifferentOutputSizesThrows() throws {
        let a = try Image(height: 10, width: 20, channels: 3)
        let b = try Image(height: 20, width: 10, channels: 3)
        let noCrop = Preprocessing.dinov2.cropping(to: nil)
        #expect(throws: ImageError.mismatchedOutputSizes(index: 1, height: 512, width: 256,
                                                         expectedHeight: 256, expectedWidth: 512)) {
            try noCrop([a, b])
        }
        #expect(try Preprocessing.dinov2([a, b]).shape == [2, 3, 224, 224])
    }

    /// transformers' `get_resize_output_image_size(default_to_square=False)`.
    @Test func shortestEdgeSizeRule() {
        let rule = Preprocessing.Resize.shortestEdge(256)
        #expect(rule.outputSize(height: 200, width: 300) == .init(height: 256, width: 384))
        #expect(rule.outputSize(height: 110, width: 151) == .init(height: 256, width: 351))  // 351.4 truncated
        #expect(rule.outputSize(height: 151, width: 110) == .init(height: 351, width: 256))
        #expect(rule.outputSize(height: 64, width: 64) == .init(height: 256, width: 256))
        #expect(Preprocessing.Resize.shortestEdge(224).outputSize(height: 3, width: 2) == .init(height: 336, width: 224))
        #expect(Preprocessing.Resize.shortestEdge(224).outputSize(height: 7, width: 9) == .init(height: 224, width: 288))
    }

    /// transformers' `center_crop`: odd surplus -> extra pixel at the end; odd deficit -> the
    /// extra zero at the start.
    @Test func centerCropOffsetsAndPadding() throws {
        let image = try Image(height: 1, width: 5, channels: 1, pixels: [1, 2, 3, 4, 5])
        #expect(try image.centerCropped(height: 1, width: 2).pixels == [2, 3])
        #expect(try image.centerCropped(height: 1, width: 3).pixels == [2, 3, 4])
        #expect(try image.centerCropped(height: 1, width: 8).pixels == [0, 0, 1, 2, 3, 4, 5, 0])
        #expect(try image.centerCropped(height: 1, width: 6).pixels == [0, 1, 2, 3, 4, 5])
        let padded = try image.centerCropped(height: 2, width: 3)
        #expect(padded.pixels == [0, 0, 0, 2, 3, 4])
    }

    @Test func presetsCarryTheReferenceSettings() {
        #expect(Preprocessing.dinov2.resize == .shortestEdge(256))
        #expect(Preprocessing.dinov2.crop == .init(224))
        #expect(Preprocessing.dinov2.interpolation == .bicubic)
        #expect(Preprocessing.dinov2.mean == [0.485, 0.456, 0.406])
        #expect(Preprocessing.dinov2.std == [0.229, 0.224, 0.225])
        #expect(Preprocessing.dinov2.rescaleFactor == 0.00392156862745098)
        #expect(Preprocessing.clip.resize == .shortestEdge(224))
        #expect(Preprocessing.clip.mean == [0.48145466, 0.4578275, 0.40821073])
        #expect(Preprocessing.clip.std == [0.26862954, 0.26130258, 0.27577711])
        let radio = Preprocessing.radio(size: 432)
        #expect(radio.resize == .exact(height: 432, width: 432))
        #expect(radio.resampler == .torch && radio.interpolation == .bilinear && radio.crop == nil)
        #expect(radio.outputMultiple == 16)
    }

    @Test func preprocessingRoundTripsThroughJSON() throws {
        for p in [Preprocessing.dinov2, .clip, .radio(height: 512, width: 768),
                  Preprocessing.dinov2.resizing(to: .exact(height: 518, width: 518)).cropping(to: nil)] {
            let data = try JSONEncoder().encode(p)
            #expect(try JSONDecoder().decode(Preprocessing.self, from: data) == p)
        }
        let text = String(decoding: try JSONEncoder().encode(Preprocessing.dinov2.resize), as: UTF8.self)
        #expect(text == #"{"shortestEdge":256}"#)
    }
}
