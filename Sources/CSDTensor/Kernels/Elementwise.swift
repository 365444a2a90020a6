/// A binary float operation, specialised into the broadcasting loop at compile time.
public protocol BinaryKernelOp {
    static func apply(_ a: Float, _ b: Float) -> Float
}

public enum AddOp: BinaryKernelOp { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
public enum SubOp: BinaryKernelOp { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
public enum MulOp: BinaryKernelOp { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
public enum DivOp: BinaryKernelOp { @inlinable @inline(__always) public static func apply(_ a: Float, _ b: Float) -> Float { a / b } }

/// Element-wise kernels over whole tensors. Large tensors are split across `Threads.count` cores.
public enum Kernels {
    /// `op(a, b)` with NumPy broadcasting.
    @inlinable
    public static func binary<Op: BinaryKernelOp>(_ op: Op.Type, _ a: Tensor, _ b: Tensor) -> Tensor {
        if a.shape == b.shape {
            let out = Tensor(uninitializedShape: a.shape)
            let pa = a.storage.pointer, pb = b.storage.pointer, po = out.storage.pointer
            Threads.parallelFor(a.count, grain: Grain.elementwise) { r in
                for i in r { po[i] = Op.apply(pa[i], pb[i]) }
            }
            return out
        }
        guard let shape = Shape.broadcast(a.shape, b.shape) else {
            preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let out = Tensor(uninitializedShape: shape)
        if out.count == 0 { return out }
        let sa = Shape.broadcastStrides(a.shape, to: shape)
        let sb = Shape.broadcastStrides(b.shape, to: shape)
        let inner = shape.last ?? 1
        let ia = sa.last ?? 0, ib = sb.last ?? 0
        let rows = out.count / inner
        let outer = Array(shape.dropLast())
        let pa = a.storage.pointer, pb = b.storage.pointer, po = out.storage.pointer
        Threads.parallelFor(rows, grain: max(1, Grain.elementwise / inner)) { r in
            for row in r {
                let (oa, ob) = offsets(row, outer, sa, sb)
                let x = pa + oa, y = pb + ob, z = po + row * inner
                switch (ia, ib) {
                case (1, 1): for i in 0..<inner { z[i] = Op.apply(x[i], y[i]) }
                case (1, 0): let v = y[0]; for i in 0..<inner { z[i] = Op.apply(x[i], v) }
                case (0, 1): let v = x[0]; for i in 0..<inner { z[i] = Op.apply(v, y[i]) }
                default: let v = Op.apply(x[0], y[0]); for i in 0..<inner { z[i] = v }
                }
            }
        }
        return out
    }

    /// Offsets into two broadcast operands for one row (all dimensions but the last) of the output.
    @inlinable @inline(__always)
    static func offsets(_ row: Int, _ outer: [Int], _ sa: [Int], _ sb: [Int]) -> (Int, Int) {
        var rem = row, oa = 0, ob = 0
        var d = outer.count - 1
        while d >= 0 {
            let idx = rem % outer[d]
            rem /= outer[d]
            oa += idx * sa[d]
            ob += idx * sb[d]
            d -= 1
        }
        return (oa, ob)
    }

    /// Sums `x` down to `shape` (the inverse of broadcasting `shape` up to `x.shape`).
    public static func reduceSum(_ x: Tensor, to shape: [Int]) -> Tensor {
        if x.shape == shape { return x }
        precondition(Shape.broadcast(shape, x.shape) == x.shape,
                     "cannot sum \(x.shape) down to \(shape)")
        let out = Tensor(zeros: shape)
        if x.count == 0 { return out }
        let s = Shape.broadcastStrides(shape, to: x.shape)
        let inner = x.shape.last ?? 1
        let innerStride = s.last ?? 0
        let outer = Array(x.shape.dropLast())
        let px = x.storage.pointer, po = out.storage.pointer
        let rows = x.count / inner
        // Sequential: rows may land on the same output, and these tensors are gradient-sized.
        for row in 0..<rows {
            let (o, _) = offsets(row, outer, s, s)
            let src = px + row * inner
            if innerStride == 1 {
                let dst = po + o
                for i in 0..<inner { dst[i] += src[i] }
            } else {
                var acc: Float = 0
                for i in 0..<inner { acc += src[i] }
                po[o] += acc
            }
        }
        return out
    }

    /// `f` applied to every element.
    @inlinable
    public static func apply<F: PointwiseFunction>(_ f: F, _ x: Tensor) -> Tensor {
        let out = Tensor(uninitializedShape: x.shape)
        let px = x.storage.pointer, po = out.storage.pointer
        Threads.parallelFor(x.count, grain: Grain.transcendental) { r in
            for i in r { po[i] = f.value(px[i]) }
        }
        return out
    }

    /// The chain rule through `f`: upstream * f'(x, y), in one pass.
    @inlinable
    public static func applyDerivative<F: PointwiseFunction>(_ f: F, x: Tensor, y: Tensor, upstream g: Tensor) -> Tensor {
        precondition(x.shape == g.shape && y.shape == g.shape, "pointwise backward shapes differ: \(x.shape), \(g.shape)")
        let out = Tensor(uninitializedShape: x.shape)
        let px = x.storage.pointer, py = y.storage.pointer, pg = g.storage.pointer, po = out.storage.pointer
        Threads.parallelFor(x.count, grain: Grain.transcendental) { r in
            for i in r { po[i] = pg[i] * f.derivative(px[i], py[i]) }
        }
        return out
    }

    /// `x * s`.
    public static func scaled(_ x: Tensor, _ s: Float) -> Tensor {
        let out = Tensor(uninitializedShape: x.shape)
        let px = x.storage.pointer, po = out.storage.pointer
        Threads.parallelFor(x.count, grain: Grain.elementwise) { r in
            for i in r { po[i] = px[i] * s }
        }
        return out
    }

    /// `y += alpha * x` in place (same shapes).
    public static func accumulate(_ y: inout Tensor, _ x: Tensor, alpha: Float = 1) {
        precondition(y.shape == x.shape, "accumulate shapes differ: \(y.shape) vs \(x.shape)")
        y.makeUnique()
        let px = x.storage.pointer, py = y.storage.pointer
        Threads.parallelFor(x.count, grain: Grain.elementwise) { r in
            if alpha == 1 { for i in r { py[i] += px[i] } } else { for i in r { py[i] += alpha * px[i] } }
        }
    }

    /// Sum of all elements: float partial sums over short blocks (vectorised), added in double.
    public static func sum(_ x: Tensor) -> Double {
        let p = x.storage.pointer
        var total = 0.0
        var i = 0
        while i < x.count {
            let hi = Swift.min(x.count, i + 4096)
            var part: Float = 0
            for j in i..<hi { part += p[j] }
            total += Double(part)
            i = hi
        }
        return total
    }
}
