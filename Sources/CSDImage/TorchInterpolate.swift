import CSDTensor

/// PyTorch's `F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False, antialias=False)`
/// on float32 tensors, as RADIO's reference code resizes its [0, 1] input.
///
/// Unlike Pillow there is no antialiasing: every output pixel blends the 2 x 2 nearest inputs,
/// whatever the scale. Facts from ATen (UpSample.h, UpSampleKernel.cpp), all in float32:
/// - scale = Float(in) / Float(out) (a size was given, not a scale factor);
/// - source coordinate `scale * (i + 0.5) - 0.5`, clamped below at 0;
/// - index `min(floor(src), in - 1)`, its neighbour `index + 1` unless it is the last one,
///   weight `lambda = clamp(src - index, 0, 1)` and `1 - lambda`;
/// - value `(t00 * wx0 + t01 * wx1) * wy0 + (t10 * wx0 + t11 * wx1) * wy1` (the generic kernel's
///   order). PyTorch's vectorised kernels may fuse or reorder these products, so results agree to
///   a few float32 ulps (well under 1e-6 for [0, 1] inputs), not always bit for bit.
public enum TorchInterpolate {
    /// Resizes the last two axes of `input` (shape `[..., H, W]`, rank >= 2) to `height x width`.
    public static func bilinear(_ input: Tensor, height outHeight: Int, width outWidth: Int) throws -> Tensor {
        guard input.rank >= 2 else {
            throw ImageError.invalidPreprocessing("bilinear interpolation needs a tensor [..., H, W], got \(input.shape)")
        }
        let inHeight = input.shape[input.rank - 2]
        let inWidth = input.shape[input.rank - 1]
        guard inHeight >= 1, inWidth >= 1 else { throw ImageError.emptyImage(height: inHeight, width: inWidth) }
        guard outHeight >= 1, outWidth >= 1 else {
            throw ImageError.invalidTargetSize(height: outHeight, width: outWidth)
        }
        return bilinearUnchecked(input, height: outHeight, width: outWidth)
    }

    static func bilinearUnchecked(_ input: Tensor, height outHeight: Int, width outWidth: Int) -> Tensor {
        let inHeight = input.shape[input.rank - 2]
        let inWidth = input.shape[input.rank - 1]
        let planes = input.count / (inHeight * inWidth)
        let ys = LinearTaps(inSize: inHeight, outSize: outHeight)
        let xs = LinearTaps(inSize: inWidth, outSize: outWidth)
        var output = Tensor(uninitializedShape: Array(input.shape.dropLast(2)) + [outHeight, outWidth])
        let rows = planes * outHeight
        let grain = max(1, (1 << 14) / max(1, outWidth))
        input.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                let src = src.baseAddress!, dst = dst.baseAddress!
                Threads.parallelFor(rows, grain: grain) { range in
                    for r in range {
                        let plane = src + (r / outHeight) * inHeight * inWidth
                        let y = r % outHeight
                        let row0 = plane + ys.index0[y] * inWidth
                        let row1 = plane + ys.index1[y] * inWidth
                        let wy0 = ys.weight0[y], wy1 = ys.weight1[y]
                        let out = dst + r * outWidth
                        for x in 0..<outWidth {
                            let i0 = xs.index0[x], i1 = xs.index1[x]
                            let wx0 = xs.weight0[x], wx1 = xs.weight1[x]
                            let top = row0[i0] * wx0 + row0[i1] * wx1
                            let bottom = row1[i0] * wx0 + row1[i1] * wx1
                            out[x] = top * wy0 + bottom * wy1
                        }
                    }
                }
            }
        }
        return output
    }
}

/// The two source indices and weights of each output index along one axis.
struct LinearTaps {
    var index0: [Int], index1: [Int]
    var weight0: [Float], weight1: [Float]

    init(inSize: Int, outSize: Int) {
        let scale = Float(inSize) / Float(outSize)
        (index0, index1, weight0, weight1) = ([], [], [], [])
        for i in 0..<outSize {
            let src = max(scale * (Float(i) + 0.5) - 0.5, 0)
            let index = min(Int(src.rounded(.down)), inSize - 1)
            let lambda = min(max(src - Float(index), 0), 1)
            index0.append(index)
            index1.append(index < inSize - 1 ? index + 1 : index)
            weight0.append(1 - lambda)
            weight1.append(lambda)
        }
    }
}
