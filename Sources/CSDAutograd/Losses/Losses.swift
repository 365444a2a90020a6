import CSDTensor
import Foundation

/// Mean softmax cross-entropy of logits [N, K] against integer labels, fused: the forward keeps
/// the probabilities and the backward is (p - onehot) / N.
public func softmaxCrossEntropy(_ logits: Variable, labels: [Int]) -> Variable {
    precondition(logits.shape.count == 2, "cross-entropy expects logits [N, K], got \(logits.shape)")
    let (n, k) = (logits.shape[0], logits.shape[1])
    precondition(labels.count == n, "cross-entropy: \(labels.count) labels for \(n) rows")
    let probs = SoftmaxKernel.forward(logits.value)
    let pl = logits.value.storage.pointer
    var total = 0.0
    for i in 0..<n {
        let y = labels[i]
        precondition(y >= 0 && y < k, "label \(y) outside 0..<\(k)")
        // -log p_y computed as logsumexp - x_y, which stays finite when p_y underflows.
        var m = -Float.infinity
        for j in 0..<k { m = max(m, pl[i * k + j]) }
        var s = 0.0
        for j in 0..<k { s += Foundation.exp(Double(pl[i * k + j] - m)) }
        total += Foundation.log(s) + Double(m) - Double(pl[i * k + labels[i]])
    }
    let loss = Tensor(scalar: Float(total / Double(max(n, 1))))
    return Variable.result(loss, [logits], { g in
        let scale = g.item / Float(max(n, 1))
        let d = Tensor(uninitializedShape: [n, k])
        let pd = d.storage.pointer, pp = probs.storage.pointer
        for i in 0..<(n * k) { pd[i] = pp[i] * scale }
        for i in 0..<n { pd[i * k + labels[i]] -= scale }
        logits.accumulateGrad(d)
    })
}

/// Mean binary cross-entropy of logits against targets in [0, 1] (same shape), computed as
/// max(x, 0) - x t + log(1 + e^-|x|).
public func binaryCrossEntropyWithLogits(_ logits: Variable, targets: Tensor) -> Variable {
    precondition(logits.shape == targets.shape, "BCE: logits \(logits.shape) vs targets \(targets.shape)")
    let n = logits.value.count
    let px = logits.value.storage.pointer, pt = targets.storage.pointer
    var total = 0.0
    for i in 0..<n {
        let x = Double(px[i]), t = Double(pt[i])
        total += max(x, 0) - x * t + Foundation.log1p(Foundation.exp(-abs(x)))
    }
    let loss = Tensor(scalar: Float(total / Double(max(n, 1))))
    let x = logits.value
    return Variable.result(loss, [logits], { g in
        let scale = g.item / Float(max(n, 1))
        let s = Kernels.apply(Pointwise.Sigmoid(), x)
        let d = Kernels.binary(SubOp.self, s, targets)
        logits.accumulateGrad(Kernels.scaled(d, scale))
    })
}

/// Mean squared error over all elements.
public func meanSquaredError(_ a: Variable, _ b: Variable) -> Variable {
    precondition(a.shape == b.shape, "MSE: shapes \(a.shape) and \(b.shape) differ")
    let diff = Kernels.binary(SubOp.self, a.value, b.value)
    var total = 0.0
    diff.withUnsafeBufferPointer { for v in $0 { total += Double(v) * Double(v) } }
    let n = Float(max(diff.count, 1))
    return Variable.result(Tensor(scalar: Float(total) / n), [a, b], { g in
        let d = Kernels.scaled(diff, 2 * g.item / n)
        if a.requiresGrad { a.accumulateGrad(d) }
        if b.requiresGrad { b.accumulateGrad(Kernels.scaled(d, -1)) }
    })
}

/// Mean over rows of 1 - cos(a_i, b_i) for [N, D] inputs; each norm is clamped below by `eps`
/// as in PyTorch's `cosine_similarity`.
public func cosineDistance(_ a: Variable, _ b: Variable, eps: Float = 1e-8) -> Variable {
    precondition(a.shape == b.shape && a.shape.count >= 1, "cosine distance: shapes \(a.shape) and \(b.shape) differ")
    let d = a.shape.last!
    let n = a.value.count / max(d, 1)
    let (av, bv) = (a.value, b.value)
    let pa = av.storage.pointer, pb = bv.storage.pointer
    var na = [Float](repeating: 0, count: n), nb = na, cosv = na
    var total = 0.0
    for i in 0..<n {
        var dot: Float = 0, sa: Float = 0, sb: Float = 0
        for j in 0..<d {
            let x = pa[i * d + j], y = pb[i * d + j]
            dot += x * y; sa += x * x; sb += y * y
        }
        na[i] = max(sa.squareRoot(), eps)
        nb[i] = max(sb.squareRoot(), eps)
        cosv[i] = dot / (na[i] * nb[i])
        total += 1 - Double(cosv[i])
    }
    let count = Float(max(n, 1))
    return Variable.result(Tensor(scalar: Float(total) / count), [a, b], { g in
        let scale = -g.item / count
        // d cos / da = b / (|a||b|) - cos * a / |a|^2 (the clamp's own derivative is ignored).
        func grad(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                  _ nx: [Float], _ ny: [Float]) -> Tensor {
            let out = Tensor(uninitializedShape: a.shape)
            let po = out.storage.pointer
            for i in 0..<n {
                let inv = 1 / (nx[i] * ny[i]), c = cosv[i] / (nx[i] * nx[i])
                for j in 0..<d { po[i * d + j] = scale * (y[i * d + j] * inv - c * x[i * d + j]) }
            }
            return out
        }
        let pa = av.storage.pointer, pb = bv.storage.pointer
        if a.requiresGrad { a.accumulateGrad(grad(pa, pb, na, nb)) }
        if b.requiresGrad { b.accumulateGrad(grad(pb, pa, nb, na)) }
    })
}
