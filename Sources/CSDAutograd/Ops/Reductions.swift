import CSDTensor

extension Variable {
    /// Sum of all elements, as a scalar of shape [].
    public func sum() -> Variable {
        let full = shape
        return Variable.result(Tensor(scalar: Float(Kernels.sum(value))), [self], { g in
            self.accumulateGrad(Tensor(repeating: g.item, shape: full))
        })
    }

    /// Mean of all elements, as a scalar.
    public func mean() -> Variable { sum() * (1 / Float(max(value.count, 1))) }

    /// Sums over `axes`; kept as size-1 dimensions when `keepDims`.
    public func sum(axes: [Int], keepDims: Bool = false) -> Variable {
        let rank = shape.count
        let axesSet = Set(axes.map { Shape.axis($0, rank: rank) })
        let kept = shape.enumerated().map { axesSet.contains($0.offset) ? 1 : $0.element }
        let reduced = Kernels.reduceSum(value, to: kept)
        let outShape = keepDims ? kept : shape.enumerated().filter { !axesSet.contains($0.offset) }.map(\.element)
        let full = shape
        return Variable.result(reduced.reshaped(outShape), [self], { g in
            // Broadcasting the kept-dims gradient back over the summed axes.
            self.accumulateGrad(Kernels.binary(AddOp.self, Tensor(zeros: full), g.reshaped(kept)))
        })
    }

    public func mean(axes: [Int], keepDims: Bool = false) -> Variable {
        let rank = shape.count
        let n = Set(axes.map { Shape.axis($0, rank: rank) }).reduce(1) { $0 * shape[$1] }
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(max(n, 1)))
    }
}
