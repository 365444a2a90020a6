/// Patch embedding (a convolution whose kernel equals its stride) as im2col + one GEMM.
///
/// Images [B, C, H, W] become rows [B * nh * nw, C * p * p] ordered like a PyTorch conv
/// weight [E, C, p, p] flattened, so `rows x weight^T` is the convolution. Trailing pixels that
/// do not fill a patch are dropped, as a strided convolution does.
public enum PatchEmbedKernel {
    public static func grid(height: Int, width: Int, patch: Int) -> (rows: Int, cols: Int) {
        (height / patch, width / patch)
    }

    public static func im2col(_ images: Tensor, patch p: Int) -> Tensor {
        precondition(images.rank == 4, "patch embedding expects [B, C, H, W], got \(images.shape)")
        let (b, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        let (nh, nw) = grid(height: h, width: w, patch: p)
        let cols = Tensor(uninitializedShape: [b * nh * nw, c * p * p])
        let src = images.storage.pointer, dst = cols.storage.pointer
        let rowWidth = c * p * p
        Threads.parallelFor(b * nh, grain: 4) { r in
            for bi in r {
                let n = bi / nh, iy = bi % nh
                for ix in 0..<nw {
                    let out = dst + ((n * nh + iy) * nw + ix) * rowWidth
                    for ch in 0..<c {
                        for ky in 0..<p {
                            let line = src + ((n * c + ch) * h + iy * p + ky) * w + ix * p
                            (out + (ch * p + ky) * p).update(from: line, count: p)
                        }
                    }
                }
            }
        }
        return cols
    }

    /// The adjoint of `im2col`: scatters row gradients back to an image-shaped gradient.
    public static func col2im(_ cols: Tensor, imageShape: [Int], patch p: Int) -> Tensor {
        let (b, c, h, w) = (imageShape[0], imageShape[1], imageShape[2], imageShape[3])
        let (nh, nw) = grid(height: h, width: w, patch: p)
        let images = Tensor(zeros: imageShape)
        let src = cols.storage.pointer, dst = images.storage.pointer
        let rowWidth = c * p * p
        Threads.parallelFor(b * nh, grain: 4) { r in
            for bi in r {
                let n = bi / nh, iy = bi % nh
                for ix in 0..<nw {
                    let row = src + ((n * nh + iy) * nw + ix) * rowWidth
                    for ch in 0..<c {
                        for ky in 0..<p {
                            let line = dst + ((n * c + ch) * h + iy * p + ky) * w + ix * p
                            line.update(from: row + (ch * p + ky) * p, count: p)
                        }
                    }
                }
            }
        }
        return images
    }
}
