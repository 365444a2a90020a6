import CSDTensor

extension Variable {
    /// Same elements, new shape (one `-1` inferred). No copy.
    public func reshaped(_ shape: [Int]) -> Variable {
        let original = self.shape
        return Variable.result(value.reshaped(shape), [self], { g in self.accumulateGrad(g.reshaped(original)) })
    }

    /// Reorders dimensions: `out.shape[i] = shape[perm[i]]`.
    public func permuted(_ perm: [Int]) -> Variable {
        var inverse = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        return Variable.result(Kernels.permute(value, perm), [self], { g in
            self.accumulateGrad(Kernels.permute(g, inverse))
        })
    }

    /// Swaps two dimensions.
    public func transposed(_ d0: Int = -2, _ d1: Int = -1) -> Variable {
        var perm = Array(0..<shape.count)
        perm.swapAt(Shape.axis(d0, rank: shape.count), Shape.axis(d1, rank: shape.count))
        return permuted(perm)
    }

    /// Elements `range` along `axis` (a copy).
    public func slice(axis: Int, _ range: Range<Int>) -> Variable {
        let full = shape
        return Variable.result(Kernels.slice(value, axis: axis, range: range), [self], { g in
            self.accumulateGrad(Kernels.unslice(g, axis: axis, range: range, shape: full))
        })
    }
}

/// Joins variables along `axis`.
public func concat(_ xs: [Variable], axis: Int) -> Variable {
    let out = Kernels.concat(xs.map(\.value), axis: axis)
    let ax = Shape.axis(axis, rank: out.rank)
    return Variable.result(out, xs, { g in
        var start = 0
        for x in xs {
            let n = x.shape[ax]
            if x.requiresGrad { x.accumulateGrad(Kernels.slice(g, axis: ax, range: start..<(start + n))) }
            start += n
        }
    })
}

extension Variable {
    /// Broadcasts to `shape` (materialised); the backward sums over the broadcast dimensions.
    public func expanded(to shape: [Int]) -> Variable {
        if shape == self.shape { return self }
        return Variable.result(Kernels.binary(AddOp.self, Tensor(zeros: shape), value), [self], { g in
            self.accumulateGrad(g)
        })
    }
}
