/// Softmax over the last dimension, in place on rows, with its backward.
public enum SoftmaxKernel {
    /// Replaces each row of `n` values at `p` by its softmax (max-subtracted, vectorised exp).
    @inlinable @inline(__always)
    public static func rowInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        let inv = 1 / expShiftedInPlace(p, n)
        for i in 0..<n { p[i] *= inv }
    }

    /// Replaces a row by e^(x - max) and returns its sum (the softmax before normalising).
    @inlinable @inline(__always)
    public static func expShiftedInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
        var m = VectorMath.max(p, n)
        if m == -.infinity { m = 0 }
        for i in 0..<n { p[i] = VectorMath.expNonPositive(p[i] - m) }
        return VectorMath.sum(p, n)
    }

    public static func forward(_ x: Tensor) -> Tensor {
        let d = x.shape.last ?? 1
        let y = x.copy()
        let py = y.storage.pointer
        Threads.parallelFor(x.count / max(d, 1), grain: Grain.rows(width: d)) { r in
            for row in r { rowInPlace(py + row * d, d) }
        }
        return y
    }

    /// dx = y * (dy - sum(dy * y)) per row, written to `dx` (which may alias `dy`).
    @inlinable @inline(__always)
    public static func rowBackward(y: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                   dx: UnsafeMutablePointer<Float>, _ n: Int) {
        let dot = VectorMath.dot(dy, y, n)
        for i in 0..<n { dx[i] = y[i] * (dy[i] - dot) }
    }

    public static func backward(_ dy: Tensor, y: Tensor) -> Tensor {
        let d = y.shape.last ?? 1
        let dx = Tensor(uninitializedShape: y.shape)
        let py = y.storage.pointer, pdy = dy.storage.pointer, pdx = dx.storage.pointer
        Threads.parallelFor(y.count / max(d, 1), grain: Grain.rows(width: d)) { r in
            for row in r { rowBackward(y: py + row * d, dy: pdy + row * d, dx: pdx + row * d, d) }
        }
        return dx
    }
}
