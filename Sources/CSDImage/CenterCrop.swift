/// Where a center crop takes its pixels from, per axis, as transformers'
/// `image_transforms.center_crop` computes it.
///
/// Cropping (`size <= input`): the window starts at `(input - size) // 2`, so an odd surplus
/// leaves the extra pixel at the end (bottom / right).
/// Padding (`size > input`): transformers places the image on a zero canvas at
/// `ceil((size - input) / 2)` and then crops that canvas from 0, so an odd deficit puts the
/// extra zero row / column at the start (top / left). Each axis is handled independently.
struct CropAxis: Equatable {
    /// First source index copied.
    var source: Int
    /// First destination index written.
    var destination: Int
    /// Number of indices copied.
    var length: Int

    init(input: Int, output: Int) {
        if output <= input {
            source = (input - output) / 2
            destination = 0
            length = output
        } else {
            source = 0
            destination = (output - input + 1) / 2
            length = input
        }
    }
}

extension Image {
    /// The `height x width` center of the image, zero-padded where the image is smaller
    /// (transformers' `center_crop`, which the DINOv2 and CLIP processors run after resizing).
    public func centerCropped(height outHeight: Int, width outWidth: Int) throws -> Image {
        guard outHeight >= 1, outWidth >= 1 else {
            throw ImageError.invalidTargetSize(height: outHeight, width: outWidth)
        }
        _ = try Image.byteCount(height: outHeight, width: outWidth, channels: channels)
        return centerCroppedUnchecked(height: outHeight, width: outWidth)
    }

    func centerCroppedUnchecked(height outHeight: Int, width outWidth: Int) -> Image {
        if outHeight == height && outWidth == width { return self }
        let ys = CropAxis(input: height, output: outHeight)
        let xs = CropAxis(input: width, output: outWidth)
        let c = channels
        return pixels.withUnsafeBufferPointer { src in
            Image.build(height: outHeight, width: outWidth, channels: c) { dst in
                dst.initialize(repeating: 0, count: outHeight * outWidth * c)
                for y in 0..<ys.length {
                    let from = src.baseAddress! + ((ys.source + y) * width + xs.source) * c
                    let to = dst + ((ys.destination + y) * outWidth + xs.destination) * c
                    to.update(from: from, count: xs.length * c)
                }
            }
        }
    }
}
