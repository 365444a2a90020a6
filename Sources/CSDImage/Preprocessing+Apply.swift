import CSDTensor

extension Preprocessing {
    /// Throws when a size is below 1, mean/std do not have 3 finite values, a std is 0, or the
    /// torch resampler is asked for anything but bilinear.
    public func validate() throws {
        func fail(_ why: String) -> ImageError { .invalidPreprocessing(why) }
        switch resize {
        case let .shortestEdge(n)? where n < 1:
            throw fail("shortest edge \(n) must be at least 1")
        case let .exact(h, w)? where h < 1 || w < 1:
            throw fail("resize to \(h) x \(w): both sides must be at least 1")
        default: break
        }
        if let crop, crop.height < 1 || crop.width < 1 {
            throw fail("crop \(crop.height) x \(crop.width): both sides must be at least 1")
        }
        guard mean.count == 3, std.count == 3 else {
            throw fail("mean and std need 3 values (RGB), got \(mean.count) and \(std.count)")
        }
        guard (mean + std).allSatisfy(\.isFinite), std.allSatisfy({ $0 != 0 }) else {
            throw fail("mean \(mean) and std \(std) must be finite, std non-zero")
        }
        guard rescaleFactor.isFinite else { throw fail("rescale factor \(rescaleFactor) is not finite") }
        if let m = outputMultiple, m < 1 { throw fail("output multiple \(m) must be at least 1") }
        if resampler == .torch && interpolation != .bilinear {
            throw fail("the torch resampler implements bilinear only, not \(interpolation)")
        }
    }

    /// The `height x width` of the tensor an `inHeight x inWidth` image becomes.
    public func outputSize(height inHeight: Int, width inWidth: Int) throws -> Size {
        try validate()
        guard inHeight >= 1, inWidth >= 1 else { throw ImageError.emptyImage(height: inHeight, width: inWidth) }
        let resized = resize?.outputSize(height: inHeight, width: inWidth) ?? Size(height: inHeight, width: inWidth)
        _ = try Image.byteCount(height: resized.height, width: resized.width, channels: 3)
        let out = crop ?? resized
        _ = try Image.byteCount(height: out.height, width: out.width, channels: 3)
        if let m = outputMultiple, out.height % m != 0 || out.width % m != 0 {
            throw ImageError.sizeNotMultiple(height: out.height, width: out.width, multiple: m)
        }
        return out
    }

    /// The uint8 image after resize and crop, before rescaling (the `.pillow` pipeline only; the
    /// `.torch` one resizes floats). Channels are kept: a grayscale image stays grayscale, which
    /// gives the same bytes as converting first since Pillow resamples channels independently.
    public func resizedAndCropped(_ image: Image) throws -> Image {
        guard resampler == .pillow else {
            throw ImageError.invalidPreprocessing("the torch resampler works on floats; there is no uint8 stage")
        }
        _ = try outputSize(height: image.height, width: image.width)
        return pillowStage(image)
    }

    /// One image as a `[3, H, W]` float32 tensor.
    public func callAsFunction(_ image: Image) throws -> Tensor {
        let batch = try callAsFunction([image])
        return batch.reshaped(Array(batch.shape.dropFirst()))
    }

    /// A batch as a `[B, 3, H, W]` float32 tensor. Every image must come out the same size (use a
    /// crop or an exact resize); images are processed in parallel.
    public func callAsFunction(_ images: [Image]) throws -> Tensor {
        guard let firstImage = images.first else { throw ImageError.emptyBatch }
        let size = try outputSize(height: firstImage.height, width: firstImage.width)
        for (i, image) in images.enumerated().dropFirst() {
            let s = try outputSize(height: image.height, width: image.width)
            guard s == size else {
                throw ImageError.mismatchedOutputSizes(index: i, height: s.height, width: s.width,
                                                       expectedHeight: size.height, expectedWidth: size.width)
            }
        }
        let plane = size.height * size.width
        var output = Tensor(uninitializedShape: [images.count, 3, size.height, size.width])
        output.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            Threads.parallelFor(images.count, grain: 1) { range in
                for i in range { write(images[i], into: base + i * 3 * plane, size: size) }
            }
        }
        return output
    }

    // MARK: - Stages (inputs validated by the callers above)

    func pillowStage(_ image: Image) -> Image {
        var image = image
        if let resize {
            let s = resize.outputSize(height: image.height, width: image.width)
            image = image.resizedUnchecked(height: s.height, width: s.width, interpolation: interpolation)
        }
        if let crop { image = image.centerCroppedUnchecked(height: crop.height, width: crop.width) }
        return image
    }

    /// `Float(Double(v) * rescaleFactor)`: transformers' `rescale` multiplies in float64 and casts
    /// to float32. For 1/255 this equals torch's float32 `v / 255` for all 256 bytes.
    func rescaled(_ v: UInt8) -> Float { Float(Double(v) * rescaleFactor) }

    /// `(x - mean) / std` in float32, as transformers' `normalize` on a float32 array.
    @inline(__always)
    func normalized(_ x: Float, channel c: Int) -> Float { (x - Float(mean[c])) / Float(std[c]) }

    /// Writes one image's `[3, H, W]` values at `dst`.
    func write(_ image: Image, into dst: UnsafeMutablePointer<Float>, size: Size) {
        let plane = size.height * size.width
        switch resampler {
        case .pillow:
            let small = pillowStage(image)
            let c = small.channels
            small.pixels.withUnsafeBufferPointer { px in
                for ch in 0..<3 {
                    // Every byte maps to one float per channel: a 256-entry table does the work.
                    let table = (0..<256).map { normalized(rescaled(UInt8($0)), channel: ch) }
                    let src = c == 3 ? ch : 0
                    let out = dst + ch * plane
                    for p in 0..<plane { out[p] = table[Int(px[p * c + src])] }
                }
            }
        case .torch:
            var x = floatPlanes(image)
            if let resize {
                let s = resize.outputSize(height: image.height, width: image.width)
                x = TorchInterpolate.bilinearUnchecked(x, height: s.height, width: s.width)
            }
            if let crop { x = Preprocessing.centerCropped(x, height: crop.height, width: crop.width) }
            let planes = x.shape[0]
            x.withUnsafeBufferPointer { v in
                for ch in 0..<3 {
                    let src = v.baseAddress! + (planes == 3 ? ch : 0) * plane
                    let out = dst + ch * plane
                    for p in 0..<plane { out[p] = normalized(src[p], channel: ch) }
                }
            }
        }
    }

    /// `[C, H, W]` rescaled floats; grayscale stays one plane until the final write replicates it.
    func floatPlanes(_ image: Image) -> Tensor {
        let c = image.channels, plane = image.height * image.width
        let table = (0..<256).map { rescaled(UInt8($0)) }
        var t = Tensor(uninitializedShape: [c, image.height, image.width])
        t.withUnsafeMutableBufferPointer { out in
            image.pixels.withUnsafeBufferPointer { px in
                for p in 0..<plane {
                    for ch in 0..<c { out[ch * plane + p] = table[Int(px[p * c + ch])] }
                }
            }
        }
        return t
    }

    /// Center crop of a `[C, H, W]` tensor with zero padding, same placement as the uint8 crop.
    static func centerCropped(_ x: Tensor, height outHeight: Int, width outWidth: Int) -> Tensor {
        let c = x.shape[0], inHeight = x.shape[1], inWidth = x.shape[2]
        if inHeight == outHeight && inWidth == outWidth { return x }
        let ys = CropAxis(input: inHeight, output: outHeight)
        let xs = CropAxis(input: inWidth, output: outWidth)
        var out = Tensor(zeros: [c, outHeight, outWidth])
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for ch in 0..<c {
                    for y in 0..<ys.length {
                        let from = src.baseAddress! + (ch * inHeight + ys.source + y) * inWidth + xs.source
                        let to = dst.baseAddress! + (ch * outHeight + ys.destination + y) * outWidth + xs.destination
                        to.update(from: from, count: xs.length)
                    }
                }
            }
        }
        return out
    }
}
