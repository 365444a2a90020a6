import CSDTensor

extension Variable {
    /// Matrix product of the last two dimensions (see `Tensor.matmul`), with optional transposes.
    /// Batched operands must share their batch shape, or the right operand is a plain matrix.
    public func matmul(_ other: Variable, transposeSelf tA: Bool = false, transposeOther tB: Bool = false) -> Variable {
        let a = self, b = other
        let (x, y) = (a.value, b.value)
        let foldsBatch = x.rank > 2 && y.rank == 2
        precondition(!(foldsBatch && tA), "matmul: a transposed batched operand needs a batched right operand")
        let out = x.matmul(y, transposeSelf: tA, transposeOther: tB)
        return Variable.result(out, [a, b], { g in
            // C = op(A) op(B)  =>  dop(A) = g op(B)^T,  dop(B) = op(A)^T g.
            if a.requiresGrad {
                a.accumulateGrad(tA ? y.matmul(g, transposeSelf: tB, transposeOther: true)
                                    : g.matmul(y, transposeOther: !tB))
            }
            if b.requiresGrad {
                // A plain-matrix right operand of a batched product: fold the batch into the
                // contraction, which sums the per-sample gradients in the same GEMM.
                let xa = foldsBatch ? x.reshaped([-1, x.shape[x.rank - 1]]) : x
                let ga = foldsBatch ? g.reshaped([-1, g.shape[g.rank - 1]]) : g
                b.accumulateGrad(tB ? ga.matmul(xa, transposeSelf: true, transposeOther: tA)
                                    : xa.matmul(ga, transposeSelf: !tA))
            }
        })
    }
}

/// `x W^T + b` with W stored [out, in] (PyTorch layout) and x [..., in].
public func linear(_ x: Variable, weight: Variable, bias: Variable?) -> Variable {
    let inFeatures = x.shape.last ?? 0
    precondition(weight.value.rank == 2 && weight.shape[1] == inFeatures,
                 "linear: weight \(weight.shape) does not take inputs \(x.shape)")
    let outFeatures = weight.shape[0]
    let xv = x.value, wv = weight.value
    let rows = xv.count / max(inFeatures, 1)
    let out = Tensor(uninitializedShape: Array(x.shape.dropLast()) + [outFeatures])
    if let b = bias?.value {
        precondition(b.count == outFeatures, "linear: bias \(b.shape) does not match weight \(weight.shape)")
        // Seed C with the bias and accumulate (beta = 1): one pass instead of two.
        for r in 0..<rows { (out.storage.pointer + r * outFeatures).update(from: b.storage.pointer, count: outFeatures) }
    }
    BLAS.gemm(transB: true, m: rows, n: outFeatures, k: inFeatures,
              a: xv.storage.pointer, lda: inFeatures, b: wv.storage.pointer, ldb: inFeatures,
              beta: bias == nil ? 0 : 1, c: out.storage.pointer, ldc: outFeatures)
    let parents = bias.map { [x, weight, $0] } ?? [x, weight]
    return Variable.result(out, parents, { g in
        if x.requiresGrad {
            let dx = Tensor(uninitializedShape: xv.shape)
            BLAS.gemm(m: rows, n: inFeatures, k: outFeatures, a: g.storage.pointer, lda: outFeatures,
                      b: wv.storage.pointer, ldb: inFeatures, c: dx.storage.pointer, ldc: inFeatures)
            x.accumulateGrad(dx)
        }
        if weight.requiresGrad {
            let dw = Tensor(uninitializedShape: wv.shape)
            BLAS.gemm(transA: true, m: outFeatures, n: inFeatures, k: rows, a: g.storage.pointer, lda: outFeatures,
                      b: xv.storage.pointer, ldb: inFeatures, c: dw.storage.pointer, ldc: inFeatures)
            weight.accumulateGrad(dw)
        }
        if let bias, bias.requiresGrad {
            bias.accumulateGrad(Kernels.reduceSum(g.reshaped([rows, outFeatures]), to: [1, outFeatures]).reshaped([outFeatures]))
        }
    })
}
