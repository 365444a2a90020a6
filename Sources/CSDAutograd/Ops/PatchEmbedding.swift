import CSDTensor

/// Patch embedding: a convolution with kernel = stride = `patch`, as im2col + one GEMM.
///
/// images [B, C, H, W], weight [E, C, p, p], bias [E] -> tokens [B, (H/p) * (W/p), E] in
/// row-major patch order (what `flatten(2).transpose(1, 2)` gives in PyTorch).
public func patchEmbedding(_ images: Variable, weight: Variable, bias: Variable?, patch: Int,
                           precision: MatmulPrecision = .fp32) -> Variable {
    precondition(images.shape.count == 4, "patch embedding expects [B, C, H, W], got \(images.shape)")
    let (b, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    precondition(weight.shape == [weight.shape[0], c, patch, patch],
                 "patch embedding weight \(weight.shape) does not match \(c) channels and patch \(patch)")
    precondition(h >= patch && w >= patch, "image \(h)x\(w) is smaller than the patch \(patch)")
    let e = weight.shape[0], k = c * patch * patch
    let (nh, nw) = PatchEmbedKernel.grid(height: h, width: w, patch: patch)
    let rows = b * nh * nw
    let cols = PatchEmbedKernel.im2col(images.value, patch: patch)
    let wv = weight.value
    let out = Tensor(uninitializedShape: [b, nh * nw, e])
    if let bias {
        precondition(bias.value.count == e, "patch embedding bias \(bias.shape) does not match \(e) channels")
        for r in 0..<rows { (out.storage.pointer + r * e).update(from: bias.value.storage.pointer, count: e) }
    }
    BLAS.gemm(precision: precision, transB: true, m: rows, n: e, k: k, a: cols.storage.pointer, lda: k,
              b: wv.storage.pointer, ldb: k, beta: bias == nil ? 0 : 1, c: out.storage.pointer, ldc: e)
    let imageShape = images.shape
    let parents = bias.map { [images, weight, $0] } ?? [images, weight]
    return Variable.result(out, parents, { g in
        if weight.requiresGrad {
            let dw = Tensor(uninitializedShape: wv.shape)
            BLAS.gemm(precision: precision, transA: true, m: e, n: k, k: rows, a: g.storage.pointer, lda: e,
                      b: cols.storage.pointer, ldb: k, c: dw.storage.pointer, ldc: k)
            weight.accumulateGrad(dw)
        }
        if let bias, bias.requiresGrad {
            bias.accumulateGrad(Kernels.reduceSum(g.reshaped([rows, e]), to: [1, e]).reshaped([e]))
        }
        if images.requiresGrad {
            let dcols = Tensor(uninitializedShape: [rows, k])
            BLAS.gemm(precision: precision, m: rows, n: k, k: e, a: g.storage.pointer, lda: e, b: wv.storage.pointer, ldb: k,
                      c: dcols.storage.pointer, ldc: k)
            images.accumulateGrad(PatchEmbedKernel.col2im(dcols, imageShape: imageShape, patch: patch))
        }
    })
}
