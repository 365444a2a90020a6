extension Kernels {
    /// Permutes dimensions (`out.shape[i] = x.shape[perm[i]]`), copying into a contiguous tensor.
    public static func permute(_ x: Tensor, _ perm: [Int]) -> Tensor {
        precondition(perm.sorted() == Array(0..<x.rank), "invalid permutation \(perm) for rank \(x.rank)")
        if perm == Array(0..<x.rank) { return x }
        let outShape = perm.map { x.shape[$0] }
        let inStrides = Shape.strides(x.shape)
        let permStrides = perm.map { inStrides[$0] }
        let out = Tensor(uninitializedShape: outShape)
        if out.count == 0 { return out }
        let inner = outShape.last!
        let innerStride = permStrides.last!
        let outer = Array(outShape.dropLast())
        let outerStrides = Array(permStrides.dropLast())
        let px = x.storage.pointer, po = out.storage.pointer
        let rows = out.count / inner
        Threads.parallelFor(rows, grain: max(1, Grain.elementwise / inner)) { r in
            for row in r {
                var rem = row, src = 0
                var d = outer.count - 1
                while d >= 0 {
                    src += (rem % outer[d]) * outerStrides[d]
                    rem /= outer[d]
                    d -= 1
                }
                let dst = po + row * inner
                if innerStride == 1 { dst.update(from: px + src, count: inner) }
                else { for i in 0..<inner { dst[i] = px[src + i * innerStride] } }
            }
        }
        return out
    }

    /// Elements `range` along `axis`.
    public static func slice(_ x: Tensor, axis: Int, range: Range<Int>) -> Tensor {
        let ax = Shape.axis(axis, rank: x.rank)
        precondition(range.lowerBound >= 0 && range.upperBound <= x.shape[ax],
                     "slice \(range) out of bounds for dimension \(x.shape[ax]) of \(x.shape)")
        var shape = x.shape
        shape[ax] = range.count
        let out = Tensor(uninitializedShape: shape)
        let outer = Shape.count(Array(x.shape[..<ax]))
        let inner = Shape.count(Array(x.shape[(ax + 1)...]))
        let px = x.storage.pointer, po = out.storage.pointer
        for o in 0..<outer {
            (po + o * range.count * inner).update(
                from: px + (o * x.shape[ax] + range.lowerBound) * inner, count: range.count * inner)
        }
        return out
    }

    /// Entries `indices` (in that order, repeats allowed) along the first axis: the rows of a
    /// batch drawn from a data set held as one tensor.
    public static func gatherRows(_ x: Tensor, _ indices: [Int]) -> Tensor {
        precondition(x.rank >= 1, "gatherRows needs at least one axis")
        let rows = x.shape[0]
        let inner = Shape.count(Array(x.shape.dropFirst()))
        let out = Tensor(uninitializedShape: [indices.count] + x.shape.dropFirst())
        let px = x.storage.pointer, po = out.storage.pointer
        for (r, i) in indices.enumerated() {
            precondition(i >= 0 && i < rows, "gatherRows: index \(i) out of 0..<\(rows)")
            (po + r * inner).update(from: px + i * inner, count: inner)
        }
        withExtendedLifetime(x) {}
        return out
    }

    /// Writes `x` into `range` along `axis` of a zero tensor of `shape` (the backward of `slice`).
    public static func unslice(_ x: Tensor, axis: Int, range: Range<Int>, shape: [Int]) -> Tensor {
        let ax = Shape.axis(axis, rank: shape.count)
        let out = Tensor(zeros: shape)
        let outer = Shape.count(Array(shape[..<ax]))
        let inner = Shape.count(Array(shape[(ax + 1)...]))
        let px = x.storage.pointer, po = out.storage.pointer
        for o in 0..<outer {
            (po + (o * shape[ax] + range.lowerBound) * inner).update(
                from: px + o * range.count * inner, count: range.count * inner)
        }
        return out
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concat(_ xs: [Tensor], axis: Int) -> Tensor {
        precondition(!xs.isEmpty, "concat of no tensors")
        let ax = Shape.axis(axis, rank: xs[0].rank)
        var shape = xs[0].shape
        shape[ax] = 0
        for x in xs {
            var s = x.shape
            precondition(s.count == shape.count, "concat rank mismatch: \(xs.map(\.shape))")
            s[ax] = 0
            var expected = shape
            expected[ax] = 0
            precondition(s == expected, "concat shapes differ outside axis \(ax): \(xs.map(\.shape))")
            shape[ax] += x.shape[ax]
        }
        let out = Tensor(uninitializedShape: shape)
        let outer = Shape.count(Array(shape[..<ax]))
        let inner = Shape.count(Array(shape[(ax + 1)...]))
        var start = 0
        for x in xs {
            let n = x.shape[ax]
            for o in 0..<outer {
                (out.storage.pointer + (o * shape[ax] + start) * inner).update(
                    from: x.storage.pointer + o * n * inner, count: n * inner)
            }
            start += n
        }
        return out
    }
}
