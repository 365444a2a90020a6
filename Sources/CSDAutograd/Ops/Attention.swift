import CSDTensor

/// Multi-head scaled dot-product attention on token-major tensors.
///
/// `q`, `k`, `v`: [B, T, H * dh]; result [B, T, H * dh] with the heads side by side, ready for
/// the output projection. `scale` defaults to 1/sqrt(dh). Fused: the probabilities are the only
/// saved intermediate.
public func multiHeadAttention(q: Variable, k: Variable, v: Variable, heads: Int, scale: Float? = nil,
                               precision: MatmulPrecision = .fp32) -> Variable {
    precondition(q.shape.count == 3 && q.shape == k.shape && q.shape == v.shape,
                 "attention expects q, k, v of one shape [B, T, D], got \(q.shape), \(k.shape), \(v.shape)")
    let (b, t, d) = (q.shape[0], q.shape[1], q.shape[2])
    precondition(d % heads == 0, "attention width \(d) is not divisible by \(heads) heads")
    let geometry = AttentionKernel.Geometry(batch: b, tokens: t, heads: heads, headDim: d / heads)
    let s = scale ?? 1 / Float(d / heads).squareRoot()
    let (qv, kv, vv) = (q.value, k.value, v.value)
    let out = Tensor(uninitializedShape: [b, t, d])
    let recording = GradMode.isEnabled && (q.requiresGrad || k.requiresGrad || v.requiresGrad)
    func op(_ x: Tensor) -> AttentionKernel.Operand { .init(x.storage.pointer, rowStride: d) }
    let probs = AttentionKernel.forward(q: op(qv), k: op(kv), v: op(vv), out: op(out), geometry: geometry,
                                        scale: s, keepProbabilities: recording, precision: precision)
    return Variable.result(out, [q, k, v], { g in
        let dq = q.requiresGrad ? Tensor(uninitializedShape: [b, t, d]) : nil
        let dk = k.requiresGrad ? Tensor(uninitializedShape: [b, t, d]) : nil
        let dv = v.requiresGrad ? Tensor(uninitializedShape: [b, t, d]) : nil
        AttentionKernel.backward(dOut: op(g), q: op(qv), k: op(kv), v: op(vv), probabilities: probs!,
                                 dq: dq.map(op), dk: dk.map(op), dv: dv.map(op), geometry: geometry, scale: s,
                                 precision: precision)
        if let dq { q.accumulateGrad(dq) }
        if let dk { k.accumulateGrad(dk) }
        if let dv { v.accumulateGrad(dv) }
    })
}

/// Multi-head attention on a fused projection `qkv` [B, T, 3 * H * dh] (rows: all queries, then
/// all keys, then all values, as a fused `qkv` Linear produces them). Q, K and V are read in
/// place through row strides, so the split costs nothing.
public func multiHeadAttention(qkv: Variable, heads: Int, scale: Float? = nil,
                               precision: MatmulPrecision = .fp32) -> Variable {
    precondition(qkv.shape.count == 3 && qkv.shape[2] % 3 == 0,
                 "fused attention expects qkv [B, T, 3D], got \(qkv.shape)")
    let (b, t, d) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    precondition(d % heads == 0, "attention width \(d) is not divisible by \(heads) heads")
    let geometry = AttentionKernel.Geometry(batch: b, tokens: t, heads: heads, headDim: d / heads)
    let s = scale ?? 1 / Float(d / heads).squareRoot()
    let x = qkv.value
    let out = Tensor(uninitializedShape: [b, t, d])
    let recording = GradMode.isEnabled && qkv.requiresGrad
    func part(_ base: Tensor, _ i: Int) -> AttentionKernel.Operand {
        .init(base.storage.pointer + i * d, rowStride: 3 * d)
    }
    let probs = AttentionKernel.forward(q: part(x, 0), k: part(x, 1), v: part(x, 2),
                                        out: .init(out.storage.pointer, rowStride: d), geometry: geometry,
                                        scale: s, keepProbabilities: recording, precision: precision)
    return Variable.result(out, [qkv], { g in
        let dqkv = Tensor(uninitializedShape: [b, t, 3 * d])
        AttentionKernel.backward(dOut: .init(g.storage.pointer, rowStride: d),
                                 q: part(x, 0), k: part(x, 1), v: part(x, 2), probabilities: probs!,
                                 dq: part(dqkv, 0), dk: part(dqkv, 1), dv: part(dqkv, 2),
                                 geometry: geometry, scale: s, precision: precision)
        qkv.accumulateGrad(dqkv)
    })
}
