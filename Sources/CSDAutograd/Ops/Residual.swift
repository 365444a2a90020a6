import CSDTensor

/// x + branch * scale, with `scale` [D] per channel (LayerScale) or absent: the residual update
/// of a transformer block in one pass instead of a multiply and an add.
public func residual(_ x: Variable, _ branch: Variable, scale: Variable?) -> Variable {
    guard let scale else { return x + branch }
    precondition(x.shape == branch.shape, "residual: shapes \(x.shape) and \(branch.shape) differ")
    let d = x.shape.last ?? 1
    precondition(scale.shape == [d], "residual: scale \(scale.shape) does not match width \(d)")
    let (xv, bv, sv) = (x.value, branch.value, scale.value)
    let rows = xv.count / max(d, 1)
    let out = Tensor(uninitializedShape: xv.shape)
    let px = xv.storage.pointer, pb = bv.storage.pointer, ps = sv.storage.pointer, po = out.storage.pointer
    Threads.parallelFor(rows, grain: max(1, Grain.elementwise / max(d, 1))) { r in
        for row in r {
            let o = row * d
            for j in 0..<d { po[o + j] = px[o + j] + pb[o + j] * ps[j] }
        }
    }
    return Variable.result(out, [x, branch, scale], { g in
        x.accumulateGrad(g)
        if branch.requiresGrad { branch.accumulateGrad(Kernels.binary(MulOp.self, g, sv)) }
        if scale.requiresGrad {
            scale.accumulateGrad(Kernels.reduceSum(Kernels.binary(MulOp.self, g, bv).reshaped([rows, d]), to: [1, d]).reshaped([d]))
        }
    })
}
