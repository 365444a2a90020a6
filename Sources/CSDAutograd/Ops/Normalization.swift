import CSDTensor

/// Layer norm over the last dimension (fused; the forward saves mean and 1/std).
public func layerNorm(_ x: Variable, weight: Variable, bias: Variable?, eps: Float) -> Variable {
    let (y, mean, rstd) = LayerNormKernel.forward(x.value, weight: weight.value, bias: bias?.value, eps: eps)
    let parents = bias.map { [x, weight, $0] } ?? [x, weight]
    let xv = x.value, wv = weight.value
    return Variable.result(y, parents, { g in
        let (dx, dw, db) = LayerNormKernel.backward(
            g, x: xv, weight: wv, mean: mean, rstd: rstd,
            needInput: x.requiresGrad, needWeight: weight.requiresGrad, needBias: bias?.requiresGrad ?? false)
        if let dx { x.accumulateGrad(dx) }
        if let dw { weight.accumulateGrad(dw) }
        if let db, let bias { bias.accumulateGrad(db) }
    })
}

extension Variable {
    /// Softmax over the last dimension.
    public func softmax() -> Variable {
        let y = SoftmaxKernel.forward(value)
        return Variable.result(y, [self], { g in self.accumulateGrad(SoftmaxKernel.backward(g, y: y)) })
    }
}
