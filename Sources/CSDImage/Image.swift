/// An 8-bit image: `height x width x channels` bytes, channels interleaved, rows top to bottom.
///
/// This is the layout of `np.array(PIL.Image)` (HWC, row-major), so fixtures and decoded files map
/// onto it without reordering. One channel is grayscale ("L"), three are RGB.
public struct Image: Hashable, Sendable {
    public let height: Int
    public let width: Int
    public let channels: Int
    /// `pixels[(y * width + x) * channels + c]`.
    public let pixels: [UInt8]

    public init(height: Int, width: Int, channels: Int, pixels: [UInt8]) throws {
        let expected = try Image.byteCount(height: height, width: width, channels: channels)
        guard pixels.count == expected else {
            throw ImageError.pixelCountMismatch(expected: expected, actual: pixels.count)
        }
        self.init(unchecked: height, width, channels, pixels)
    }

    /// An image with every byte set to `value`.
    public init(height: Int, width: Int, channels: Int, repeating value: UInt8 = 0) throws {
        let count = try Image.byteCount(height: height, width: width, channels: channels)
        self.init(unchecked: height, width, channels, [UInt8](repeating: value, count: count))
    }

    /// For kernels that have already validated the shape.
    init(unchecked height: Int, _ width: Int, _ channels: Int, _ pixels: [UInt8]) {
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = pixels
    }

    /// Fills a new image through a raw pointer; `body` must write every byte.
    static func build(height: Int, width: Int, channels: Int,
                      _ body: (UnsafeMutablePointer<UInt8>) -> Void) -> Image {
        let count = height * width * channels
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            body(buffer.baseAddress!)
            initialized = count
        }
        return Image(unchecked: height, width, channels, pixels)
    }

    /// Checks a shape and returns its byte count (capped at 2^31 - 1 bytes, far above any input).
    static func byteCount(height: Int, width: Int, channels: Int) throws -> Int {
        guard height >= 1, width >= 1 else { throw ImageError.emptyImage(height: height, width: width) }
        guard channels == 1 || channels == 3 else { throw ImageError.unsupportedChannelCount(channels) }
        let (hw, o1) = height.multipliedReportingOverflow(by: width)
        let (count, o2) = hw.multipliedReportingOverflow(by: channels)
        guard !o1, !o2, count <= Int(Int32.max) else {
            throw ImageError.tooLarge(height: height, width: width, channels: channels)
        }
        return count
    }

    public var isGrayscale: Bool { channels == 1 }

    public subscript(y: Int, x: Int, channel: Int) -> UInt8 {
        precondition(y >= 0 && y < height && x >= 0 && x < width && channel >= 0 && channel < channels,
                     "pixel (\(y), \(x), \(channel)) outside a \(height) x \(width) x \(channels) image")
        return pixels[(y * width + x) * channels + channel]
    }

    /// Three identical channels from a grayscale image (PIL's "L" -> "RGB", transformers'
    /// `convert_to_rgb`); an RGB image is returned as is.
    public func convertedToRGB() -> Image {
        if channels == 3 { return self }
        return pixels.withUnsafeBufferPointer { src in
            Image.build(height: height, width: width, channels: 3) { dst in
                for i in 0..<src.count {
                    let v = src[i]
                    dst[3 * i] = v
                    dst[3 * i + 1] = v
                    dst[3 * i + 2] = v
                }
            }
        }
    }
}
