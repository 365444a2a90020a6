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

/// `x W^T + b` with W stored [out, in] (PyTorch layout) and x [..., in]. With `precision: .bf16`
/// the forward and backward products take bfloat16 inputs (the gradients stay fp32).
public func linear(_ x: Variable, weight: Variable, bias: Variable?, precision: MatmulPrecision = .fp32) -> Variable {
    let (out, rows) = linearForward(x, weight: weight, bias: bias, epilogue: Pointwise.Identity(), precision: precision)
    return Variable.result(out.y, linearParents(x, weight, bias), { g in
        linearBackward(g, x: x, weight: weight, bias: bias, rows: rows, precision: precision)
    })
}

/// `f(x W^T + b)` fused: the activation is applied in the same pass that adds the bias, so the
/// pre-activation is written once (and kept only when a backward will need it).
public func linear<F: PointwiseFunction>(_ x: Variable, weight: Variable, bias: Variable?, activation f: F,
                                         precision: MatmulPrecision = .fp32) -> Variable {
    let (out, rows) = linearForward(x, weight: weight, bias: bias, epilogue: f, precision: precision)
    return Variable.result(out.y, linearParents(x, weight, bias), { g in
        let dh = Kernels.applyDerivative(f, x: out.h!, y: out.y, upstream: g)
        linearBackward(dh, x: x, weight: weight, bias: bias, rows: rows, precision: precision)
    })
}

func linearParents(_ x: Variable, _ weight: Variable, _ bias: Variable?) -> [Variable] {
    bias.map { [x, weight, $0] } ?? [x, weight]
}

/// GEMM with beta = 0, then one parallel pass: h = acc + b, y = f(h). Returns y, and h when the
/// graph is being recorded and f is not the identity.
func linearForward<F: PointwiseFunction>(_ x: Variable, weight: Variable, bias: Variable?, epilogue f: F,
                                         precision: MatmulPrecision) -> (out: (y: Tensor, h: Tensor?), rows: Int)
{
    let inFeatures = x.shape.last ?? 0
    precondition(weight.value.rank == 2 && weight.shape[1] == inFeatures,
                 "linear: weight \(weight.shape) does not take inputs \(x.shape)")
    let outFeatures = weight.shape[0]
    if let b = bias { precondition(b.value.count == outFeatures, "linear: bias \(b.shape) does not match weight \(weight.shape)") }
    let xv = x.value, wv = weight.value
    let rows = xv.count / max(inFeatures, 1)
    let shape = Array(x.shape.dropLast()) + [outFeatures]
    let h = Tensor(uninitializedShape: shape)
    BLAS.gemm(precision: precision, transB: true, m: rows, n: outFeatures, k: inFeatures,
              a: xv.storage.pointer, lda: inFeatures, b: wv.storage.pointer, ldb: inFeatures,
              c: h.storage.pointer, ldc: outFeatures)
    let identity = F.self == Pointwise.Identity.self
    if identity && bias == nil { return ((h, nil), rows) }
    let keep = !identity && GradMode.isEnabled && (x.requiresGrad || weight.requiresGrad || bias?.requiresGrad == true)
    // Without a backward to feed, the activation overwrites the pre-activation in place.
    let y = keep ? Tensor(uninitializedShape: shape) : h
    let ph = h.storage.pointer, py = y.storage.pointer
    let pb = bias?.value.storage.pointer
    Threads.parallelFor(rows, grain: max(1, Grain.transcendental / max(outFeatures, 1))) { r in
        // Simple single-store loops: each one vectorises.
        for row in r {
            let hr = ph + row * outFeatures, yr = py + row * outFeatures
            if keep {
                if let pb { for j in 0..<outFeatures { hr[j] += pb[j] } }
                for j in 0..<outFeatures { yr[j] = f.value(hr[j]) }
            } else if let pb {
                for j in 0..<outFeatures { hr[j] = f.value(hr[j] + pb[j]) }
            } else {
                for j in 0..<outFeatures { hr[j] = f.value(hr[j]) }
            }
        }
    }
    withExtendedLifetime(bias) {}
    return ((y, keep ? h : nil), rows)
}

func linearBackward(_ g: Tensor, x: Variable, weight: Variable, bias: Variable?, rows: Int,
                    precision: MatmulPrecision) {
    let xv = x.value, wv = weight.value
    let (inFeatures, outFeatures) = (wv.shape[1], wv.shape[0])
    if x.requiresGrad {
        let dx = Tensor(uninitializedShape: xv.shape)
        BLAS.gemm(precision: precision, m: rows, n: inFeatures, k: outFeatures, a: g.storage.pointer, lda: outFeatures,
                  b: wv.storage.pointer, ldb: inFeatures, c: dx.storage.pointer, ldc: inFeatures)
        x.accumulateGrad(dx)
    }
    if weight.requiresGrad {
        let dw = Tensor(uninitializedShape: wv.shape)
        BLAS.gemm(precision: precision, transA: true, m: outFeatures, n: inFeatures, k: rows, a: g.storage.pointer, lda: outFeatures,
                  b: xv.storage.pointer, ldb: inFeatures, c: dw.storage.pointer, ldc: inFeatures)
        weight.accumulateGrad(dw)
    }
    if let bias, bias.requiresGrad {
        bias.accumulateGrad(Kernels.reduceSum(g.reshaped([rows, outFeatures]), to: [1, outFeatures]).reshaped([outFeatures]))
    }
}
