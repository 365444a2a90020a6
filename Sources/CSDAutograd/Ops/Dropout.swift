import CSDTensor

extension Variable {
    /// Inverted dropout: zeroes each element with probability `p` and scales survivors by
    /// 1/(1-p) in training; the identity otherwise. Draws come from the caller's stream.
    public func dropout(_ p: Float, training: Bool, rng: inout RandomStream) -> Variable {
        precondition(p >= 0 && p < 1, "dropout probability must be in [0, 1), got \(p)")
        if !training || p == 0 { return self }
        let keep = 1 - p
        var mask = Tensor(uninitializedShape: shape)
        mask.withUnsafeMutableBufferPointer { m in
            for i in m.indices { m[i] = rng.uniform() < keep ? 1 / keep : 0 }
        }
        let out = Kernels.binary(MulOp.self, value, mask)
        return Variable.result(out, [self], { g in self.accumulateGrad(Kernels.binary(MulOp.self, g, mask)) })
    }
}
